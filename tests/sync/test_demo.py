"""The demo's wanted lists and recommendations end to end: the real sonarr/anilist plugins
against the demo fakes on loopback, the real core, the API — real content, unindexed
recommendations dropped."""

from __future__ import annotations

import aiosqlite

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.demo.metadata.common import serve_loopback
from anibridge_like.demo.run import DEMO_SEED, DEMO_TITLES, demo_seed
from anibridge_like.demo.wanted import wanted_services
from anibridge_like.plugins.registry import Registry
from anibridge_like.recommendations.refresh import refresh_instance
from anibridge_like.settings import Settings
from anibridge_like.sync.runner import sync_instance
from tests.plugin_doubles import EXTRA
from tests.sync.support import running_app
from tests.torznab.conftest import Catalog, Ep, Show, ts

ANIME = GeneratedCatalog("aniworld", 40, seed=7)
KEY = {"X-Api-Key": "adm"}


def catalog() -> Catalog:
    shows = []
    for t in ANIME:
        if t.kind != "series" or t.tvdb_id is None:
            continue
        eps = [Ep(max(e.season, 1), e.number, {str(lang): ts(10) for lang in e.languages})
               for e in t.episodes if e.kind == "episode"]  # fmt: skip
        shows.append(Show("aniworld", t.slug, t.title, eps, mapping={"tvdb_id": t.tvdb_id}))
    return Catalog(ready=("aw", "sto", "mk"), shows=shows)


async def test_demo_sources_fill_both_endpoints(settings: Settings) -> None:
    services = wanted_services({"aniworld": ANIME})
    async with (
        serve_loopback(services[0].app) as sonarr_url,
        serve_loopback(services[1].app) as anilist_url,
    ):
        plugins = services[0].seed_entries(sonarr_url) + services[1].seed_entries(anilist_url)
        registry = Registry(extra=EXTRA)
        async with running_app(settings, catalog(), plugins, registry) as (ctx, client):

            async def anilist_ids(conn: aiosqlite.Connection) -> None:
                await conn.executemany(
                    "UPDATE series_mappings SET anilist_id = ? WHERE title_id ="
                    " (SELECT id FROM titles WHERE slug = ?)",
                    [(t.anilist_id, t.slug) for t in ANIME if t.anilist_id is not None],
                )

            await ctx.writer.run(anilist_ids)
            for name in ("demo-sonarr", "demo-anilist-list"):
                run = await sync_instance(ctx, name, "anime")
                assert run.status == "ok" and run.stored > 0, run
            recs = await refresh_instance(ctx, "demo-anilist-recs", "anime")
            assert recs.status == "ok" and recs.candidates > recs.kept > 0, recs
            wanted = (await client.get("/api/v1/libraries/anime/wanted", headers=KEY)).json()
            assert {i["instance"] for i in wanted["items"]} == {"demo-sonarr", "demo-anilist-list"}
            assert any(i["titles"] for i in wanted["items"])
            body = (await client.get("/api/v1/libraries/anime/recommendations", headers=KEY)).json()
            assert body["recommendations"]
            for item in body["recommendations"]:
                assert item["title_ids"] and item["available_languages"]
                assert not item["title"].startswith("Unindexed")
            assert [s["instance"] for s in body["sources"]] == ["demo-anilist-recs"]


def test_the_demo_seed_is_valid_with_its_wanted_sources() -> None:
    catalogs = {site: GeneratedCatalog(site, 10, DEMO_SEED) for site in DEMO_TITLES}
    extra = [
        service.seed_entry(f"demo-{name}", "http://127.0.0.1:9")
        for name, service in metadata_apps(catalogs).items()
    ]
    for wanted in wanted_services(catalogs):
        extra += wanted.seed_entries("http://127.0.0.1:9")
    urls = {site: "http://127.0.0.1:9" for site in DEMO_TITLES}
    seed = demo_seed(urls, Registry(), extra)
    kinds = {p.name: p.kind for p in seed.plugins}
    assert kinds["demo-sonarr"] == "sync" and kinds["demo-anilist-recs"] == "recommendation"
    anime = seed.library("anime")
    assert anime is not None
    assert {"wanted_sync", "recommendations_refresh"} <= {j.type for j in anime.jobs}
