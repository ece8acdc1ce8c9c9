"""The demo world's mapping phenomena through the whole flow: fake sites rendering the world's
titles → providers → detail stage (page IMDb links) → canonical stage against the world's fake
SkyHook/AniList/TMDB, over loopback like a deployment."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.demo.metadata.scoring import EpisodeRow, SeriesRow, score
from anibridge_like.demo.metadata.world import PHENOMENA, MappingWorld
from anibridge_like.plugins.isolation.remote import RemotePlugin
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from tests.fakes.sites import serve_app, serve_site

pytestmark = pytest.mark.slow
WORLD = MappingWorld(seed=5, per_phenomenon=10)
LIBRARIES = {"aniworld": "anime", "sto": "series", "megakino": "movies"}


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[dict[str, GeneratedCatalog], dict[str, str]]]:
    catalogs: dict[str, GeneratedCatalog] = {
        site: WORLD.catalog(GeneratedCatalog(site, 8, 5, episodes_per_title=6))
        for site in LIBRARIES
    }
    urls: dict[str, str] = {}
    with ExitStack() as stack:
        for name, catalog in catalogs.items():
            urls[name] = stack.enter_context(serve_site(name, catalog=catalog)).base_url
        for name, service in metadata_apps(catalogs, WORLD).items():
            urls[name] = stack.enter_context(serve_app(service.app))
        yield catalogs, urls


def _seed(urls: dict[str, str]) -> dict[str, Any]:
    providers = [
        {
            "name": site,
            "implementation": site,
            "kind": "provider",
            "libraries": [library],
            "config": {"base_url": urls[site]},
        }
        for site, library in LIBRARIES.items()
    ]
    services = metadata_apps({})
    return {
        "libraries": [{"slug": lib, "kind": lib} for lib in LIBRARIES.values()],
        "plugins": [
            *providers,
            *(service.seed_entry(name, urls[name]) for name, service in services.items()),
        ],
    }


async def test_demo_world_phenomena_are_mapped_through_the_whole_flow(
    sites: tuple[dict[str, GeneratedCatalog], dict[str, str]], settings: Settings
) -> None:
    catalogs, urls = sites
    registry = Registry()
    settings = settings.model_copy(update={"api_key": SecretStr("k")})
    app = create_app(
        settings, seed=parse_seed(_seed(urls), registry, environ={}), registry=registry
    )
    async with app.router.lifespan_context(app):
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            deadline = time.monotonic() + 240
            while True:
                body = (await client.get("/health/catalog")).json()
                if body["ready"] and not body["bootstrapping"]:
                    break
                assert time.monotonic() < deadline, f"catalog not ready in time: {body}"
                await asyncio.sleep(0.25)
        # every page was fetched and parsed in the plugin worker, not on the daemon's loop
        plugins = app.state.ctx.plugins
        assert plugins.worker is not None and plugins.worker.starts == 1
        assert plugins.worker.pid not in (None, os.getpid())
        indexing = plugins.of_kind("provider") + plugins.of_kind("metadata")
        assert len(indexing) == 6 and all(isinstance(i.plugin, RemotePlugin) for i in indexing)
    async with ReaderPool(settings.database_path, 1) as readers:
        series = {
            (r["site"], r["slug"]): SeriesRow(r["status"], r["tvdb_id"], r["tmdb_id"])
            for r in await readers.fetchall(
                "SELECT t.site, t.slug, s.status, s.tvdb_id, s.tmdb_id"
                " FROM series_mappings s JOIN titles t ON t.id = s.title_id"
            )
        }
        episodes = {
            (r["site"], r["slug"], r["season"], r["number"]): EpisodeRow(
                r["status"], r["tvdb_season"], r["tvdb_episode"]
            )
            for r in await readers.fetchall(
                "SELECT t.site, t.slug, e.season, e.number, m.status, m.tvdb_season,"
                " m.tvdb_episode FROM episode_mappings m JOIN episodes e ON e.id = m.episode_id"
                " JOIN titles t ON t.id = m.title_id"
            )
        }
    titles = [
        (t, WORLD.phenomenon.get((t.site, t.slug), "generated"))
        for catalog in catalogs.values()
        for t in catalog
    ]
    scores = score(titles, series, episodes, WORLD.conflicts)
    report = {k: (round(s.precision, 3), round(s.recall, 3)) for k, s in sorted(scores.items())}
    reached = {WORLD.phenomenon[k] for k in series if k in WORLD.phenomenon}
    assert reached == set(PHENOMENA)  # every phenomenon went through the sites and providers
    assert scores["twins:series"].served == 0
    for part in ("series", "movies", "episodes"):
        assert scores[part].precision >= 0.995, (part, scores[part].wrong[:8], report)
        assert scores[part].recall >= 0.97, (part, report)
