"""Issue 12, secrets in the database: credentials written inline in the seed's plugin configs are
never stored (a keyed digest stands in their place), the plugins still get the real values after
every start, a change of only the secret rebuilds the instance, and the admin API shows none."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from anibridge_like.app import create_app
from anibridge_like.demo.mediaservers.content import FakeLibrary, FakeMovie, FakeServerState
from anibridge_like.demo.mediaservers.jellyfin import build_jellyfin_app
from anibridge_like.demo.metadata.common import serve_loopback
from anibridge_like.demo.metadata.records import Movie
from anibridge_like.demo.metadata.tmdb import FakeTmdb
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.inline_secrets import seal
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.registry import Registry
from anibridge_like.reconcile import make_reconcile_unit
from anibridge_like.seed import SeedError, parse_seed
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer

REGISTRY = Registry()
TMDB_KEY = "tmdb-inline-4f1e9a7c2b"
JELLYFIN_KEY = "jf-inline-77d0c3aa51"
SONARR_KEY = "sonarr-inline-0b9e2f6d13"
ADMIN = "adm-inline-test"


@dataclass
class Fakes:
    tmdb: FakeTmdb
    jellyfin: FakeServerState
    tmdb_url: str
    jellyfin_url: str


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    tmdb = FakeTmdb(
        movies=[Movie(603, "The Matrix", "The Matrix", "1999-03-31", translations={})],
        api_key=TMDB_KEY,
    )
    state = FakeServerState(
        [FakeLibrary(name="Movies", kind="movies", movies=(FakeMovie("The Matrix", 1999, {}),))],
        token=JELLYFIN_KEY,
    )
    async with AsyncExitStack() as stack:
        tmdb_url = await stack.enter_async_context(serve_loopback(tmdb.app))
        jf_url = await stack.enter_async_context(serve_loopback(build_jellyfin_app(state)))
        yield Fakes(tmdb, state, tmdb_url + "/3", jf_url)


def seed_data(fakes: Fakes, tmdb_key: str = TMDB_KEY) -> dict[str, Any]:
    return {
        "libraries": [{"slug": "movies", "kind": "movies"}, {"slug": "series", "kind": "series"}],
        "plugins": [
            {
                "name": "tmdb",
                "implementation": "tmdb",
                "kind": "metadata",
                "config": {"base_url": fakes.tmdb_url, "api_key": tmdb_key},
            },
            {
                "name": "jellyfin",
                "implementation": "jellyfin",
                "kind": "media_server",
                "config": {
                    "url": fakes.jellyfin_url,
                    "api_key": JELLYFIN_KEY,
                    "libraries": {"movies": "Movies"},
                },
            },
            {
                "name": "sonarr",
                "implementation": "sonarr",
                "kind": "sync",
                "libraries": ["series"],
                "config": {"base_url": "http://127.0.0.1:9", "api_key": SONARR_KEY},
            },
        ],
    }


def database_texts(db: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of the database (main, WAL, shared memory) and every row of every table."""
    for path in sorted(db.parent.glob(db.name + "*")):
        yield path.name, path.read_bytes()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                yield table, repr(row).encode()
    finally:
        conn.close()


def assert_no_secret(db: Path, *secrets: str) -> None:
    seen = 0
    for where, data in database_texts(db):
        seen += 1
        for secret in secrets:
            assert secret.encode() not in data, f"{secret} in {where}"
    assert seen > 10  # the files and the tables were really read


async def reconcile(writer: Writer, data: dict[str, Any], key: bytes | None = None) -> Any:
    seed = parse_seed(data, REGISTRY, environ={})
    return await writer.run(make_reconcile_unit(seed, REGISTRY, {}, secret_key=key))


async def test_inline_secrets_never_reach_the_database_and_the_plugins_get_them(
    fakes: Fakes, writer: Writer, readers: ReaderPool, db: Path
) -> None:
    report = await reconcile(writer, seed_data(fakes), b"install-key")
    assert sorted(report.added) == [
        "library movies",
        "library series",
        "plugin jellyfin",
        "plugin sonarr",
        "plugin tmdb",
    ]
    assert_no_secret(db, TMDB_KEY, JELLYFIN_KEY, SONARR_KEY)
    async with httpx.AsyncClient() as http:
        manager = PluginManager(REGISTRY, http, environ={})
        await manager.reload(readers)
        tmdb = manager.get("tmdb").plugin
        found = await tmdb.search_movie("The Matrix")
        assert [c.id for c in found] == ["603"]  # the fake answers only the right key
        status = await manager.get("jellyfin").plugin.check_connection()
        assert status.name == "fake-jellyfin"
        sonarr = manager.get("sonarr").plugin
        assert sonarr.config.api_key.get_secret_value() == SONARR_KEY
    assert_no_secret(db, TMDB_KEY, JELLYFIN_KEY, SONARR_KEY)


async def test_a_change_of_only_the_secret_rebuilds_the_instance_with_the_new_value(
    fakes: Fakes, writer: Writer, readers: ReaderPool, db: Path
) -> None:
    assert not (await reconcile(writer, seed_data(fakes))).noop
    assert (await reconcile(writer, seed_data(fakes))).noop  # the same seed: nothing changed
    async with httpx.AsyncClient() as http:
        manager = PluginManager(REGISTRY, http, environ={})
        await manager.reload(readers)
        before = manager.get("tmdb").plugin
        fakes.tmdb.api_key = "tmdb-rotated-8c2d5e"  # the key was rotated at TMDB
        with pytest.raises(PluginError):
            await before.search_movie("The Matrix")
        report = await reconcile(writer, seed_data(fakes, "tmdb-rotated-8c2d5e"))
        assert report.changed == ["plugin tmdb"] and not report.added and not report.removed
        await manager.reload(readers)
        after = manager.get("tmdb").plugin
        assert after is not before
        assert [c.id for c in await after.search_movie("The Matrix")] == ["603"]
        assert manager.get("jellyfin").plugin is not None
    assert_no_secret(db, TMDB_KEY, "tmdb-rotated-8c2d5e", JELLYFIN_KEY, SONARR_KEY)


async def test_a_stored_marker_whose_value_is_not_loaded_is_not_configured_naming_it(
    writer: Writer, readers: ReaderPool
) -> None:
    await reconcile(writer, {"libraries": [{"slug": "movies", "kind": "movies"}]})
    await writer.execute(
        "INSERT INTO plugin_instances(name, implementation, kind, enabled, config, all_libraries)"
        " VALUES ('tmdb', 'tmdb', 'metadata', 1, ?, 1)",
        ('{"api_key": {"$inline_secret": "sha256:' + "0" * 64 + '"}}',),
    )
    async with httpx.AsyncClient() as http:
        manager = PluginManager(REGISTRY, http, environ={})
        await manager.reload(readers)
    instance = manager.get("tmdb")
    assert instance.plugin is None and instance.error is not None
    assert "config.api_key" in instance.error.message
    assert "api_key_env" in instance.error.message


async def test_an_invalid_stored_config_is_reported_without_its_secret_values(
    writer: Writer, readers: ReaderPool
) -> None:
    await reconcile(writer, {"libraries": [{"slug": "movies", "kind": "movies"}]})
    secret = "jf-never-echoed-5a1c"
    stored = seal({"api_key": secret, "libraries": {"movies": "Movies"}}, None)  # no url
    await writer.execute(
        "INSERT INTO plugin_instances(name, implementation, kind, enabled, config, all_libraries)"
        " VALUES ('jf', 'jellyfin', 'media_server', 1, ?, 1)",
        (json.dumps(stored),),
    )
    async with httpx.AsyncClient() as http:
        manager = PluginManager(REGISTRY, http, environ={})
        await manager.reload(readers)
    error = manager.get("jf").error
    assert error is not None and "config.url: Field required" in error.message
    assert secret not in error.message  # pydantic's own text would show the whole input


@asynccontextmanager
async def daemon(settings: Settings, data: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, seed=parse_seed(data, REGISTRY, environ={}), registry=REGISTRY)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def test_restarts_from_the_seed_work_report_nothing_changed_and_show_no_secret(
    fakes: Fakes, settings: Settings
) -> None:
    settings = settings.model_copy(update={"admin_api_key": SecretStr(ADMIN)})
    for start in range(2):
        with capture_logs() as logs:
            async with daemon(settings, seed_data(fakes)) as client:
                ctx = client.app.state.ctx  # type: ignore[attr-defined]
                assert ctx.plugins is not None
                tmdb = ctx.plugins.get("tmdb").plugin
                assert [c.id for c in await tmdb.search_movie("The Matrix")] == ["603"]
                answer = await client.get("/api/v1/plugins", headers={"X-Api-Key": ADMIN})
        reconciled = next(e for e in logs if e["event"] == "seed.reconciled")
        if start == 1:  # the restart with the same seed
            assert reconciled["added"] == reconciled["changed"] == reconciled["removed"] == []
        assert answer.status_code == 200
        for secret in (TMDB_KEY, JELLYFIN_KEY, SONARR_KEY):
            assert secret not in answer.text
        configs = {p["name"]: p["config"] for p in answer.json()["plugins"]}
        assert configs["tmdb"] == {"base_url": fakes.tmdb_url, "api_key": "***"}
        assert configs["jellyfin"]["api_key"] == "***"
        assert configs["jellyfin"]["libraries"] == {"movies": "Movies"}
    assert_no_secret(settings.database_path, TMDB_KEY, JELLYFIN_KEY, SONARR_KEY)


@pytest.mark.parametrize("kept", [True, False], ids=["changed", "removed"])
async def test_clear_text_secrets_stored_by_an_older_version_are_scrubbed_from_the_file(
    db: Path, kept: bool
) -> None:
    async with Writer(db, queue_size=4) as writer:
        await writer.execute(
            "INSERT INTO plugin_instances(name, implementation, kind, enabled, config,"
            " all_libraries) VALUES ('old', 'sonarr', 'sync', 1, ?, 1)",
            ('{"api_key": "' + SONARR_KEY + '", "base_url": "http://127.0.0.1:9"}',),
        )
    assert any(SONARR_KEY.encode() in data for _, data in database_texts(db))  # the old state
    old = {
        "name": "old",
        "implementation": "sonarr",
        "kind": "sync",
        "config": {"base_url": "http://127.0.0.1:9", "api_key": SONARR_KEY},
    }
    data = {"libraries": [{"slug": "series", "kind": "series"}], "plugins": [old] if kept else []}
    async with Writer(db, queue_size=4) as writer:
        # As on SQLite builds without SECURE_DELETE compiled in (Debian's has it on): freed
        # cells would keep the old clear text unless the reconcile zeroes them.
        await writer.execute("PRAGMA secure_delete = OFF")
        report = await reconcile(writer, data)
        assert (report.changed if kept else report.removed) == ["plugin old"]
        assert await writer.run(secure_delete_setting) == 0  # restored after the scrub
    assert_no_secret(db, SONARR_KEY)


async def secure_delete_setting(conn: Any) -> int:
    return int(list(await conn.execute_fetchall("PRAGMA secure_delete"))[0][0])


def test_the_marker_key_is_reserved_in_seed_configs() -> None:
    data = {
        "libraries": [{"slug": "movies", "kind": "movies"}],
        "plugins": [
            {
                "name": "tmdb",
                "implementation": "tmdb",
                "kind": "metadata",
                "config": {"api_key": {"$inline_secret": "sha256:abc"}},
            }
        ],
    }
    with pytest.raises(SeedError) as caught:
        parse_seed(data, REGISTRY, environ={})
    assert "plugins[0].config.api_key.$inline_secret" in str(caught.value)
