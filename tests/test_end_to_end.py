"""The whole flow: fake sites → pipeline → canonical (fake SkyHook/AniList/TMDB) → Torznab,
for an anime, a series and a movies library, all over loopback like a real deployment."""

from __future__ import annotations

import asyncio
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.fakes.sites import serve_app, serve_site

pytestmark = pytest.mark.slow
TORZNAB = "{http://torznab.com/schemas/2015/feed}"
KEY = "e2e-key"


@dataclass
class World:
    client: httpx.AsyncClient
    catalogs: dict[str, GeneratedCatalog]


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[dict[str, GeneratedCatalog], dict[str, str]]]:
    catalogs = {
        "aniworld": GeneratedCatalog("aniworld", 24, 3, episodes_per_title=12),
        "sto": GeneratedCatalog("sto", 12, 3, episodes_per_title=8),
        "megakino": GeneratedCatalog("megakino", 24, 3, episodes_per_title=6),
    }
    urls: dict[str, str] = {}
    with ExitStack() as stack:
        for name, catalog in catalogs.items():
            urls[name] = stack.enter_context(serve_site(name, catalog=catalog)).base_url
        for name, service in metadata_apps(catalogs).items():
            urls[name] = stack.enter_context(serve_app(service.app))
        yield catalogs, urls


def _seed(urls: dict[str, str]) -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub", "en_sub"]},
            {"slug": "series", "kind": "series", "api_key": "series-only"},
            {"slug": "movies", "kind": "movies"},
        ],
        "plugins": [
            {
                "name": "aniworld",
                "implementation": "aniworld",
                "kind": "provider",
                "libraries": ["anime"],
                "config": {"base_url": urls["aniworld"], "requests_per_second": None},
            },
            {
                "name": "sto",
                "implementation": "sto",
                "kind": "provider",
                "libraries": ["series"],
                "config": {"base_url": urls["sto"], "requests_per_second": None},
            },
            {
                "name": "megakino",
                "implementation": "megakino",
                "kind": "provider",
                "libraries": ["movies"],
                "config": {"base_url": urls["megakino"], "requests_per_second": None},
            },
            *(service.seed_entry(name, urls[name]) for name, service in metadata_apps({}).items()),
        ],
    }


@pytest.fixture
async def world(
    sites: tuple[dict[str, GeneratedCatalog], dict[str, str]], settings: Settings
) -> AsyncIterator[World]:
    catalogs, urls = sites
    registry = Registry()
    settings = settings.model_copy(update={"api_key": SecretStr(KEY)})
    app = create_app(
        settings, seed=parse_seed(_seed(urls), registry, environ={}), registry=registry
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            deadline = time.monotonic() + 150
            while True:
                body = (await client.get("/health/catalog")).json()
                if body["ready"] and not body["bootstrapping"]:
                    break
                assert time.monotonic() < deadline, f"catalog not ready in time: {body}"
                await asyncio.sleep(0.25)
            yield World(client, catalogs)


async def _items(client: httpx.AsyncClient, path: str, **params: Any) -> list[ET.Element]:
    response = await client.get(path, params={"apikey": KEY, **params})
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    assert root.find("channel/error") is None and root.tag != "error", response.text
    return root.findall("channel/item")


def _attr(item: ET.Element, name: str) -> str | None:
    for attr in item.findall(f"{TORZNAB}attr"):
        if attr.get("name") == name:
            return attr.get("value")
    return None


def _pick(catalog: GeneratedCatalog, want: str | None = None) -> GenTitle:
    for t in catalog:
        if t.tvdb_id is None or t.kind != "series":
            continue
        if want is None or t.numbering == want:
            return t
    raise AssertionError(f"no title with numbering {want}")


async def test_anime_tvsearch_by_tvdb_numbering_and_absolute(world: World) -> None:
    catalog = world.catalogs["aniworld"]
    title = next((t for t in catalog if t.tvdb_id and t.numbering != "same"), None) or _pick(
        catalog
    )
    episode = next(e for e in title.episodes if e.kind == "episode" and e.tvdb_season)
    items = await _items(
        world.client,
        "/torznab/anime/api",
        t="tvsearch",
        tvdbid=title.tvdb_id,
        season=episode.tvdb_season,
        ep=episode.tvdb_episode,
    )
    assert items, f"nothing for {title.canonical_title} {episode}"
    tag = f"S{episode.tvdb_season:02d}E{episode.tvdb_episode:02d}"
    for item in items:
        name = item.findtext("title") or ""
        assert tag in name and title.canonical_title.split(":")[0][:8] in name, name
        assert f"{episode.absolute:03d}" in name
        assert _attr(item, "tvdbid") == str(title.tvdb_id)
        assert item.find("enclosure") is not None and item.find("enclosure").get(
            "url", ""
        ).startswith("magnet:")  # type: ignore[union-attr]
    # the absolute number in q (Sonarr's anime search)
    by_absolute = await _items(
        world.client,
        "/torznab/anime/api",
        t="tvsearch",
        tvdbid=title.tvdb_id,
        q=f"{episode.absolute:02d}",
    )
    assert any(tag in (i.findtext("title") or "") for i in by_absolute)


async def test_series_tvsearch_and_text_search(world: World) -> None:
    title = _pick(world.catalogs["sto"])
    season = await _items(
        world.client, "/torznab/series/api", t="tvsearch", tvdbid=title.tvdb_id, season=1
    )
    regular = [e for e in title.episodes if e.tvdb_season == 1]
    numbers = {
        int(m.group(1)) for i in season if (m := re.search(r"S01E(\d+)", i.findtext("title") or ""))
    }
    assert numbers == {e.tvdb_episode for e in regular}
    found = await _items(world.client, "/torznab/series/api", t="search", q=title.title)
    assert any(_attr(i, "tvdbid") == str(title.tvdb_id) for i in found)


async def test_movies_by_imdb_and_tmdb_ids(world: World) -> None:
    movie = next(t for t in world.catalogs["megakino"] if t.kind == "movie" and t.imdb_id)
    by_imdb = await _items(
        world.client, "/torznab/movies/api", t="movie", imdbid=movie.imdb_id.removeprefix("tt")
    )  # type: ignore[union-attr]
    assert by_imdb and all(_attr(i, "tmdbid") == str(movie.tmdb_id) for i in by_imdb)
    by_tmdb = await _items(world.client, "/torznab/movies/api", t="movie", tmdbid=movie.tmdb_id)
    assert {i.findtext("guid") for i in by_tmdb} == {i.findtext("guid") for i in by_imdb}
    assert all(str(movie.year) in (i.findtext("title") or "") for i in by_tmdb)


async def test_rss_feed_and_library_isolation(world: World) -> None:
    rss = await _items(world.client, "/torznab/movies/api", t="search")
    assert rss and all(i.findtext("pubDate") for i in rss)
    response = await world.client.get(
        "/torznab/series/api", params={"t": "search", "apikey": "series-only"}
    )
    assert "<item>" in response.text
    other = await world.client.get(
        "/torznab/movies/api", params={"t": "search", "apikey": "series-only"}
    )
    assert 'code="100"' in other.text
