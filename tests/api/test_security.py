"""Keys that cannot open by accident, keys at rest as digests, open health routes that show no
credentials or query strings."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import httpx
import pytest
from pydantic import SecretStr, ValidationError

from anibridge_like.app import create_app
from anibridge_like.keys import is_digest, key_matches
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.plugin_doubles import EXTRA

REGISTRY = Registry(extra=EXTRA)
SEED: dict[str, Any] = {
    "libraries": [
        {"slug": "anime", "kind": "anime", "api_key": "anime-key-123"},
        {"slug": "movies", "kind": "movies"},
    ],
    "plugins": [
        {"name": "echo-1", "implementation": "echo", "kind": "provider", "enabled": False},
    ],
}


async def _client(settings: Settings, **update: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update=update),
        seed=parse_seed(SEED, REGISTRY, environ={}),
        registry=REGISTRY,
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings, admin_api_key=SecretStr("adm1n-key")):
        yield c


@pytest.fixture
async def no_admin(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings):
        yield c


@pytest.mark.parametrize("name", ["ANIBRIDGE_ADMIN_API_KEY", "ANIBRIDGE_API_KEY"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_an_empty_or_blank_key_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="empty or whitespace-only key"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_key_from_a_secret_file_loses_its_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANIBRIDGE_ADMIN_API_KEY", "s3cret\n")
    key = Settings(_env_file=None).admin_api_key  # type: ignore[call-arg]
    assert key is not None and key.get_secret_value() == "s3cret"


async def test_admin_api_says_it_is_disabled_without_a_key(no_admin: httpx.AsyncClient) -> None:
    for headers in ({}, {"X-Api-Key": ""}, {"X-Api-Key": "anything"}):
        response = await no_admin.get("/api/v1/libraries", headers=headers)
        assert response.status_code == 403
        assert "disabled" in response.json()["error"]
        assert "ANIBRIDGE_ADMIN_API_KEY" in response.json()["error"]


@pytest.mark.parametrize(
    ("headers", "params", "message"),
    [
        ({}, {}, "missing"),
        ({"X-Api-Key": ""}, {}, "missing"),
        ({"X-Api-Key": "  "}, {}, "missing"),
        ({}, {"apikey": ""}, "missing"),
        ({"X-Api-Key": "adm1n-ke"}, {}, "wrong"),
        ({"X-Api-Key": "anime-key-123"}, {}, "wrong"),
    ],
)
async def test_admin_api_tells_missing_from_wrong_keys(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], message: str
) -> None:
    response = await client.get("/api/v1/libraries", headers=headers, params=params)
    assert response.status_code == 401
    assert message in response.json()["error"]


async def test_library_keys_are_stored_as_digests(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    async with aiosqlite.connect(settings.database_path) as conn:
        rows = dict(await conn.execute_fetchall("SELECT slug, api_key FROM libraries"))
    assert rows["movies"] is None
    assert is_digest(rows["anime"]) and "anime-key-123" not in rows["anime"]
    assert key_matches("anime-key-123", rows["anime"])
    raw = settings.database_path.read_bytes()
    assert b"anime-key-123" not in raw


async def test_a_library_key_still_opens_its_library_and_its_digest_does_not(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ok = await client.get("/torznab/anime/api", params={"t": "caps", "apikey": "anime-key-123"})
    assert "<caps>" in ok.text
    async with aiosqlite.connect(settings.database_path) as conn:
        (digest,) = next(
            iter(await conn.execute_fetchall("SELECT api_key FROM libraries WHERE slug='anime'"))
        )
    for presented in (digest, "", "anime-key-12", "ANIME-KEY-123"):
        answer = await client.get("/torznab/anime/api", params={"t": "caps", "apikey": presented})
        assert 'code="100"' in answer.text, presented


def test_an_empty_library_key_is_a_seed_error() -> None:
    for key in ("", "  "):
        seed = {"libraries": [{"slug": "anime", "kind": "anime", "api_key": key}]}
        with pytest.raises(ValueError, match=r"libraries\[0\]\.api_key: an empty"):
            parse_seed(seed, REGISTRY, environ={})


def test_api_key_env_naming_an_unset_or_empty_variable_is_a_seed_error() -> None:
    seed = {"libraries": [{"slug": "anime", "kind": "anime", "api_key_env": "ANIME_KEY"}]}
    with pytest.raises(ValueError, match=r"libraries\[0\]\.api_key_env: names 'ANIME_KEY'"):
        parse_seed(seed, REGISTRY, environ={})
    with pytest.raises(ValueError, match="set but empty"):
        parse_seed(seed, REGISTRY, environ={"ANIME_KEY": " "})
    parsed = parse_seed(seed, REGISTRY, environ={"ANIME_KEY": "k-1234"})
    assert parsed.libraries[0].api_key == "k-1234"


async def test_health_shows_only_the_database_file_name_without_the_admin_key(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    public = (await client.get("/health")).json()
    assert public["database"]["path"] == "anibridge.db"
    assert str(settings.data_dir) not in str(public)
    admin = (await client.get("/health", headers={"X-Api-Key": "adm1n-key"})).json()
    assert admin["database"]["path"] == str(settings.database_path)


async def test_health_catalog_shows_hosts_and_paths_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    error = "upstream: HTTP 500 at https://bob:pw@api.example.org/3/search/tv?api_key=SEKRIT&q=x"
    conn = sqlite3.connect(settings.database_path)
    with conn:
        conn.execute(
            "INSERT INTO stage_state(instance, stage, status, last_error)"
            " VALUES ('echo-1', 'title', 'failed', ?)",
            (error,),
        )
    conn.close()
    public = (await client.get("/health/catalog")).text
    assert "https://api.example.org/3/search/tv" in public
    for leaked in ("SEKRIT", "bob", "pw@", "q=x", "?"):
        assert leaked not in public, leaked
    admin = (await client.get("/health/catalog", headers={"X-Api-Key": "adm1n-key"})).text
    assert "q=x" in admin  # the admin sees the query, but never a credential
    assert "SEKRIT" not in admin and "bob:pw" not in admin
