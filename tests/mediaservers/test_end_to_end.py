"""Demo-style, end to end: fake AniWorld → pipeline → canonical (fake SkyHook/AniList) → a
filesystem library and a fake Jellyfin each holding part of an indexed series → the gap report
lists exactly the missing episodes with the languages the site offers them in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GenEpisode, GeneratedCatalog, GenTitle
from anibridge_like.demo.mediaservers.content import (
    FakeEpisode,
    FakeLibrary,
    FakeServerState,
    FakeShow,
)
from anibridge_like.demo.mediaservers.jellyfin import build_jellyfin_app
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.mediaservers.engine import scan
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.fakes.sites import serve_app, serve_site

pytestmark = pytest.mark.slow
LANGUAGES = ["de_dub", "de_sub"]
KEY = {"X-Api-Key": "adm"}


def _regular(title: GenTitle) -> list[GenEpisode]:
    return [e for e in title.episodes if e.tvdb_season and e.tvdb_episode]


def _picks(catalog: GeneratedCatalog) -> tuple[GenTitle, GenTitle]:
    good = [
        t
        for t in catalog
        if t.kind == "series" and t.tvdb_id and t.numbering == "same" and len(_regular(t)) >= 4
    ]
    assert len(good) >= 2, "the generated catalog has too few plain series"
    return good[0], good[1]


@dataclass
class World:
    client: httpx.AsyncClient
    ctx: Any
    on_disk: GenTitle
    on_jellyfin: GenTitle


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[GeneratedCatalog, dict[str, str], FakeServerState]]:
    catalog = GeneratedCatalog("aniworld", 16, 5, episodes_per_title=10)
    _disk, jelly = _picks(catalog)
    owned = _regular(jelly)[: len(_regular(jelly)) // 2]
    show = FakeShow(
        jelly.canonical_title,
        jelly.year,
        {"tvdb": str(jelly.tvdb_id)},
        tuple(FakeEpisode(e.tvdb_season or 0, e.tvdb_episode or 0) for e in owned),
    )
    state = FakeServerState([FakeLibrary("Anime", "series", shows=(show,))])
    with ExitStack() as stack:
        urls = {"aniworld": stack.enter_context(serve_site("aniworld", catalog=catalog)).base_url}
        for name, service in metadata_apps({"aniworld": catalog}).items():
            urls[name] = stack.enter_context(serve_app(service.app))
        urls["jellyfin"] = stack.enter_context(serve_app(build_jellyfin_app(state)))
        yield catalog, urls, state


@pytest.fixture
async def world(
    services: tuple[GeneratedCatalog, dict[str, str], FakeServerState],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    catalog, urls, state = services
    disk_title, jelly_title = _picks(catalog)
    folder = tmp_path / "anime" / f"Whatever Name ({disk_title.year}) {{tvdb-{disk_title.tvdb_id}}}"
    for e in _regular(disk_title)[: len(_regular(disk_title)) // 3 or 1]:
        path = (
            folder
            / f"Season {e.tvdb_season:02d}"
            / f"x - S{e.tvdb_season:02d}E{e.tvdb_episode:02d}.mkv"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    monkeypatch.setenv("E2E_JELLYFIN_KEY", state.token)
    metadata = [
        service.seed_entry(name, urls[name])
        for name, service in metadata_apps({}).items()
        if name in urls
    ]
    data = {
        "libraries": [
            {"slug": "anime", "kind": "anime", "languages": LANGUAGES},
            {"slug": "series", "kind": "series"},  # named by the metadata instances' scope
            {"slug": "movies", "kind": "movies"},
        ],
        "plugins": [
            {
                "name": "aniworld",
                "implementation": "aniworld",
                "kind": "provider",
                "config": {"base_url": urls["aniworld"]},
            },
            *metadata,
            {
                "name": "disk",
                "implementation": "filesystem",
                "kind": "media_server",
                "config": {"libraries": {"anime": str(tmp_path / "anime")}},
            },
            {
                "name": "jelly",
                "implementation": "jellyfin",
                "kind": "media_server",
                "config": {
                    "url": urls["jellyfin"],
                    "api_key_env": "E2E_JELLYFIN_KEY",
                    "libraries": {"anime": "anime"},  # matched case-insensitively
                },
            },
        ],
    }
    registry = Registry()
    app = create_app(
        settings.model_copy(update={"admin_api_key": SecretStr("adm")}),
        seed=parse_seed(data, registry),
        registry=registry,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            deadline = time.monotonic() + 150
            while True:
                body = (await client.get("/health/catalog")).json()
                if body["ready"] and not body["bootstrapping"]:
                    break
                assert time.monotonic() < deadline, f"catalog not ready in time: {body}"
                await asyncio.sleep(0.25)
            yield World(client, app.state.ctx, disk_title, jelly_title)


def _expected(title: GenTitle, owned: int) -> dict[str, list[tuple[int, int]]]:
    missing = _regular(title)[owned:]
    return {
        lang: [(e.tvdb_season or 0, e.tvdb_episode or 0) for e in missing if lang in e.languages]
        for lang in LANGUAGES
    }


async def test_gap_report_lists_exactly_the_missing_episodes_by_language(world: World) -> None:
    outcomes = await scan(world.ctx)
    assert {(o.instance, o.status) for o in outcomes} == {
        ("disk", "complete"),
        ("jelly", "complete"),
    }
    for title, owned in (
        (world.on_disk, len(_regular(world.on_disk)) // 3 or 1),
        (world.on_jellyfin, len(_regular(world.on_jellyfin)) // 2),
    ):
        got = await world.client.get(
            "/api/v1/libraries/anime/gaps", params={"work": f"tvdb:{title.tvdb_id}"}, headers=KEY
        )
        assert got.status_code == 200, got.text
        [work] = got.json()["works"]
        assert work["owned"] == owned and work["known"] == len(_regular(title))
        available = {
            a["language"]: [(e["season"], e["episode"]) for e in a["episodes"]]
            for a in work["available"]
        }
        expected = {k: v for k, v in _expected(title, owned).items() if v}
        assert available == expected, work["summary"]
