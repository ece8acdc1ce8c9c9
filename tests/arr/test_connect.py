"""``anibridge-like connect``: registers each library in Sonarr/Radarr/Prowlarr (fakes built from
their OpenAPI specs and source, ``tests/fakes/arr_indexers.py``), idempotently, and reports the
app's own Test of each entry (the fakes run it against our real daemon)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from anibridge_like.arr.client import ArrAuthError, ArrClient
from anibridge_like.arr.connect import Outcome, connect, report
from anibridge_like.arr.resources import APPS, UnknownLibrary, targets_for
from anibridge_like.cli import main
from anibridge_like.demo.metadata.common import serve_loopback
from anibridge_like.seed import parse_seed
from tests.fakes.arr_indexers import PROWLARR, RADARR, SONARR, FakeArr, Flavour
from tests.torznab.conftest import GLOBAL_KEY, REGISTRY, SEED, AppFactory, Catalog

ARR_KEY = "0123456789abcdef0123456789abcdef"
BASE = "http://127.0.0.1"
LIBRARIES = parse_seed(SEED, REGISTRY, environ={}).libraries

Run = Callable[..., Awaitable[list[Outcome]]]


@pytest.fixture
async def daemon(make_client: AppFactory) -> httpx.AsyncClient:
    return await make_client()


@pytest.fixture
async def arr_http() -> AsyncIterator[list[httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []
    yield opened
    for client in opened:
        await client.aclose()


def make_fake(flavour: Flavour, daemon: httpx.AsyncClient) -> FakeArr:
    return FakeArr(flavour, ARR_KEY, indexer_client=daemon)


async def run(
    fake: FakeArr,
    arr_http: list[httpx.AsyncClient],
    *,
    key: str = ARR_KEY,
    global_key: str | None = GLOBAL_KEY,
    only: tuple[str, ...] = (),
    dry_run: bool = False,
    kinds: tuple[str, ...] | None = ("indexer",),
    facts: dict[str, Any] | None = None,
) -> tuple[list[Outcome], str]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.build()))
    arr_http.append(http)
    app = APPS[fake.flavour.app]
    client = ArrClient(http, app.name, "http://sonarr:8989", app.api_prefix, key)
    targets = targets_for(app, LIBRARIES, BASE, global_key, only)
    given = facts if facts is not None else {"base_url": BASE}
    outcomes = await connect(client, app, targets, facts=given, dry_run=dry_run, kinds=kinds)
    return outcomes, report(app, client, outcomes, dry_run)


def fields(resource: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f["value"] for f in resource["fields"]}


async def test_sonarr_gets_one_torznab_indexer_per_tv_library_and_its_test_passes(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(SONARR, daemon)
    outcomes, text = await run(fake, arr_http)
    assert [(o.name, o.action, o.test) for o in outcomes] == [
        ("anibridge-like anime", "create", []),
        ("anibridge-like series", "create", []),
    ]
    stored = {i["name"]: i for i in fake.indexers.values()}
    anime = fields(stored["anibridge-like anime"])
    assert anime["baseUrl"] == f"{BASE}/torznab/anime" and anime["apiPath"] == "/api"
    assert anime["apiKey"] == "anime-key"  # the library's own key: the narrowest
    assert anime["categories"] == [5040] and anime["animeCategories"] == [5070]
    series = fields(stored["anibridge-like series"])
    assert series["categories"] == [5000, 5040] and series["animeCategories"] == []
    assert series["apiKey"] == GLOBAL_KEY and series["minimumSeeders"] == 1  # schema default
    assert stored["anibridge-like anime"]["enableRss"] is True
    assert "sonarr's test: passed" in text


async def test_rerun_changes_nothing(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(SONARR, daemon)
    await run(fake, arr_http)
    writes = list(fake.writes)
    outcomes, _ = await run(fake, arr_http)
    assert [o.action for o in outcomes] == ["unchanged", "unchanged"]
    assert fake.writes == writes and len(fake.indexers) == 2
    assert all(o.test == [] for o in outcomes)  # the app's verdict is still read back


async def test_changed_settings_update_our_entries_only(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(SONARR, daemon)
    await run(fake, arr_http)
    anime_id = next(i["id"] for i in fake.indexers.values() if i["name"].endswith("anime"))
    # the user renamed our entry and disabled interactive search; someone else's indexer
    fake.indexers[anime_id]["name"] = "My anime"
    fake.indexers[anime_id]["enableInteractiveSearch"] = False
    for item in fake.indexers[anime_id]["fields"]:
        if item["name"] == "animeCategories":
            item["value"] = []
    other = {**fake.template("Torznab"), "id": 99, "name": "Other tracker"}
    fake.indexers[99] = other
    outcomes, _ = await run(fake, arr_http)
    by_name = {o.name: o for o in outcomes}
    assert by_name["anibridge-like anime"].action == "update"
    assert by_name["anibridge-like anime"].changes == ["name", "animeCategories"]
    assert by_name["anibridge-like series"].action == "unchanged"
    assert len(fake.indexers) == 3  # no duplicate
    updated = fake.indexers[anime_id]
    assert updated["name"] == "anibridge-like anime"
    assert fields(updated)["animeCategories"] == [5070]
    assert updated["enableInteractiveSearch"] is False  # the user's choice is kept
    assert fake.indexers[99] == other
    assert ("PUT", f"/api/v3/indexer/{anime_id}") in fake.writes


async def test_dry_run_prints_what_it_would_send_and_writes_nothing(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(SONARR, daemon)
    outcomes, text = await run(fake, arr_http, dry_run=True)
    assert [o.action for o in outcomes] == ["create", "create"]
    assert fake.indexers == {} and fake.writes == [] and fake.tests_run == 0
    assert (
        "would create indexer 'anibridge-like anime': POST http://sonarr:8989/api/v3/indexer"
        in text
    )
    assert '"animeCategories"' in text and '"value": [5070]' in text
    assert "anime-key" not in text and GLOBAL_KEY not in text  # secrets masked


async def test_an_app_rejecting_the_key_is_a_clear_error(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(SONARR, daemon)
    with pytest.raises(ArrAuthError, match="rejected the API key \\(HTTP 401\\)"):
        await run(fake, arr_http, key="wrong")
    assert fake.indexers == {}


async def test_the_apps_failed_test_is_reported_and_the_entry_kept(
    make_client: AppFactory, arr_http: list[httpx.AsyncClient]
) -> None:
    not_ready = await make_client(Catalog(shows=[], pending=("aw", "sto")))
    fake = make_fake(SONARR, not_ready)
    outcomes, text = await run(fake, arr_http, only=("anime",))
    (outcome,) = outcomes
    assert outcome.action == "create" and len(fake.indexers) == 1
    assert outcome.test and "HTTP 503" in outcome.test[0].message
    assert "sonarr's test: error:" in text


async def test_a_wrong_torznab_key_fails_the_apps_test(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(SONARR, daemon)
    outcomes, _ = await run(fake, arr_http, global_key="nope", only=("series",))
    assert [f.message for f in outcomes[0].test or []] == ["Invalid API Key"]


async def test_radarr_gets_the_movie_library(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(RADARR, daemon)
    outcomes, _ = await run(fake, arr_http)
    assert [(o.name, o.action, o.test) for o in outcomes] == [
        ("anibridge-like movies", "create", [])
    ]
    movies = fields(next(iter(fake.indexers.values())))
    assert movies["categories"] == [2000, 2040] and "animeCategories" not in movies


async def test_prowlarr_gets_every_library_as_generic_torznab(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(PROWLARR, daemon)
    outcomes, _ = await run(fake, arr_http)
    assert [(o.name, o.test) for o in outcomes] == [
        ("anibridge-like anime", []),
        ("anibridge-like series", []),
        ("anibridge-like movies", []),
    ]
    stored = list(fake.indexers.values())
    assert all(i["appProfileId"] == 1 and i["enable"] and i["implementation"] == "Torznab"
               for i in stored)  # fmt: skip
    assert fields(stored[2])["baseUrl"] == f"{BASE}/torznab/movies"
    again, _ = await run(fake, arr_http)
    assert [o.action for o in again] == ["unchanged"] * 3


def test_library_selection_names_what_is_wrong() -> None:
    with pytest.raises(UnknownLibrary, match="no library named 'animee'"):
        targets_for(APPS["sonarr"], LIBRARIES, BASE, None, ["animee"])
    with pytest.raises(UnknownLibrary, match="radarr takes movies libraries"):
        targets_for(APPS["radarr"], LIBRARIES, BASE, None, ["anime"])


async def test_the_command_line_runs_against_a_loopback_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``anibridge-like connect`` as a user types it: seed and key from the settings, the app
    on a real loopback port; ``--dry-run`` sends nothing, a wrong app key is exit 1."""
    seed = tmp_path / "config.yaml"
    seed.write_text(yaml.safe_dump({"libraries": [{"slug": "anime", "kind": "anime"}]}))
    fake = FakeArr(SONARR, ARR_KEY)
    env = {"ANIBRIDGE_DATA_DIR": str(tmp_path), "ANIBRIDGE_PUBLIC_URL": "http://nas:8000"}
    async with serve_loopback(fake.build()) as url:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            patch.delenv("ANIBRIDGE_API_KEY", raising=False)
            argv = ["connect", "sonarr", url, ARR_KEY, "--seed", str(seed), "--dry-run"]
            assert await asyncio.to_thread(main, argv) == 0
            out = capsys.readouterr().out
            assert "would create indexer 'anibridge-like anime'" in out
            assert '"value": "http://nas:8000/torznab/anime"' in out
            assert fake.writes == []
            wrong = ["connect", "sonarr", url, "nope", "--seed", str(seed)]
            assert await asyncio.to_thread(main, wrong) == 1
            assert "rejected the API key" in capsys.readouterr().err


async def test_sonarr_and_radarr_get_our_qbittorrent_client_once(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    """The download client is one more resource: created from the app's QBittorrent schema,
    tested by the app against our /api/v2, never duplicated."""
    for flavour, category in ((SONARR, "tvCategory"), (RADARR, "movieCategory")):
        fake = make_fake(flavour, daemon)
        facts = {"base_url": "http://anibridge:8000"}
        outcomes, text = await run(fake, arr_http, kinds=None, facts=facts)
        clients = [o for o in outcomes if o.resource == "downloadclient"]
        assert [(o.name, o.action, o.test) for o in clients] == [("anibridge-like", "create", [])]
        (stored,) = fake.clients.values()
        values = fields(stored)
        assert (values["host"], values["port"], values["useSsl"]) == ("anibridge", 8000, False)
        assert values["urlBase"] == "" and stored["implementation"] == "QBittorrent"
        assert values[category] in ("tv-sonarr", "radarr")  # the app's default category kept
        assert f"{flavour.app}: downloadclient 'anibridge-like' created" in text
        again, _ = await run(fake, arr_http, kinds=None, facts=facts)
        assert {o.action for o in again} == {"unchanged"} and len(fake.clients) == 1
        moved = {"base_url": "http://nas:8100"}
        (changed,) = [
            o
            for o in (await run(fake, arr_http, kinds=None, facts=moved))[0]
            if o.resource == "downloadclient"
        ]
        assert changed.action == "update" and changed.changes == ["host", "port"]
        assert len(fake.clients) == 1


async def test_prowlarr_gets_no_download_client(
    daemon: httpx.AsyncClient, arr_http: list[httpx.AsyncClient]
) -> None:
    fake = make_fake(PROWLARR, daemon)
    outcomes, _ = await run(fake, arr_http, kinds=None)
    assert {o.resource for o in outcomes} == {"indexer"} and fake.clients == {}
