"""Recommendations per library through the API: resolved to canonical works, dropped unless
indexed and available in the library's languages, merged across instances (highest score,
reasons combined, sources listed), dismissed from every instance, seeds from wanted lists."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
import httpx

from anibridge_like.context import AppContext
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.recommendation import Candidate
from anibridge_like.plugins.sync import ExternalIds, SyncResult, WantedItem
from anibridge_like.recommendations.refresh import refresh_instance
from anibridge_like.settings import Settings
from anibridge_like.sync.runner import sync_instance
from anibridge_like.sync.service import service_of
from tests.sync.support import PLANS, REC_CALLS, RECS, running_app, script
from tests.torznab.conftest import Catalog, Ep, Show, ts

KEY = {"X-Api-Key": "adm"}
ANILIST = {"frieren": 154587, "frieren-s2": 182255, "english-only": 7777, "dungeon": 8888,
           "other": 55}  # fmt: skip


def eps(count: int, *languages: str) -> list[Ep]:
    return [Ep(1, n, {lang: ts(10, n) for lang in languages}) for n in range(1, count + 1)]


def catalog() -> Catalog:
    return Catalog(
        ready=("aw", "sto", "mk"),
        shows=[
            Show("aniworld", "frieren", "Frieren", [*eps(3, "de_dub"), Ep(2, 1, {"de_sub": ts(9)})],
                 mapping={"tvdb_id": 424536}),
            Show("aniworld", "frieren-s2", "Frieren S2", eps(2, "de_sub"),
                 mapping={"tvdb_id": 424536}),
            Show("aniworld", "english-only", "English Only", eps(2, "en_sub"),
                 mapping={"tvdb_id": 777}),
            Show("aniworld", "dungeon", "Dungeon", eps(1, "de_dub"), mapping={"tvdb_id": 888}),
            Show("aniworld", "other", "Other", eps(1, "de_dub"), mapping={"tvdb_id": 5}),
        ],
    )  # fmt: skip


def cand(anilist: int, score: float, reason: str, title: str = "") -> Candidate:
    return Candidate(
        f"anilist:{anilist}", ExternalIds(anilist=anilist), title or f"A{anilist}", 2020,
        "series", score, reason, (f"seed-{reason}",),
    )  # fmt: skip


async def add_anilist_ids(ctx: AppContext) -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "UPDATE series_mappings SET anilist_id = ? WHERE title_id ="
            " (SELECT id FROM titles WHERE slug = ?)",
            [(aid, slug) for slug, aid in ANILIST.items()],
        )

    await ctx.writer.run(unit)


PLUGINS = [
    script("recs-a", "a", ["anime"], "recommendation"),
    script("recs-b", "b", ["anime"], "recommendation"),
    script("recs-tv", "tv", ["series"], "recommendation"),
    script("sonarr", "s", ["anime"]),
]


async def setup(ctx: AppContext) -> None:
    await add_anilist_ids(ctx)
    RECS["a"] = [
        cand(154587, 0.9, "ra1", "Frieren"),
        cand(7777, 0.8, "ra2"),
        cand(9999, 0.7, "not indexed"),
        cand(8888, 0.5, "ra3", "Dungeon"),
    ]
    RECS["b"] = [cand(182255, 0.95, "rb1", "Frieren Season 2"), cand(8888, 0.3, "rb2")]
    RECS["tv"] = [cand(8888, 1.0, "tv")]


async def refresh_all(client: httpx.AsyncClient, ctx: AppContext) -> dict[str, Any]:
    started = await client.post("/api/v1/libraries/anime/recommendations/refresh", headers=KEY)
    assert started.status_code == 202 and started.json()["started"] == ["recs-a", "recs-b"]
    await service_of(ctx).wait()
    got = await client.get("/api/v1/libraries/anime/recommendations", headers=KEY)
    assert got.status_code == 200
    body: dict[str, Any] = got.json()
    return body


async def test_merge_by_canonical_work_filter_and_sources(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, client):
        await setup(ctx)
        body = await refresh_all(client, ctx)
        items = {i["work_id"]: i for i in body["recommendations"]}
        # 7777 has no episode in de_dub/de_sub, 9999 is not indexed, recs-tv serves series only
        assert list(items) == ["tvdb:424536", "tvdb:888"]
        frieren = items["tvdb:424536"]
        assert frieren["score"] == 0.95 and frieren["title"] == "Frieren Season 2"
        assert frieren["external_id"] == "anilist:182255"
        assert frieren["reason"] == "rb1 · ra1"
        assert frieren["based_on"] == ["seed-rb1", "seed-ra1"]
        assert [(s["instance"], s["external_id"], s["score"]) for s in frieren["sources"]] == [
            ("recs-b", "anilist:182255", 0.95), ("recs-a", "anilist:154587", 0.9),
        ]  # fmt: skip
        assert frieren["available_languages"] == ["de_dub", "de_sub"]
        assert frieren["episodes"] == {"de_dub": 3, "de_sub": 3}
        assert frieren["owned"] is False
        dungeon = items["tvdb:888"]
        assert dungeon["score"] == 0.5 and dungeon["reason"] == "ra3 · rb2"
        sources = {s["instance"]: s for s in body["sources"]}
        assert set(sources) == {"recs-a", "recs-b"}
        assert sources["recs-a"]["cached"] and sources["recs-a"]["last_run"]["kept"] == 3
        assert sources["recs-a"]["last_run"]["candidates"] == 4
        assert {c[1].library_slug for c in REC_CALLS} == {"anime"}
        assert {c[1].library_name for c in REC_CALLS} == {"Anime"}


async def test_dismiss_removes_the_work_from_every_instance(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, client):
        await setup(ctx)
        await refresh_all(client, ctx)
        url = "/api/v1/libraries/anime/recommendations/tvdb:888/dismiss"
        done = await client.post(url, headers=KEY)
        assert done.status_code == 200 and done.json()["was_recommended"] is True
        rows = await ctx.readers.fetchall(
            "SELECT * FROM recommendations WHERE work_id = 'tvdb:888'"
        )
        assert rows == []
        body = await refresh_all(client, ctx)  # refreshed again: stays dismissed
        assert [i["work_id"] for i in body["recommendations"]] == ["tvdb:424536"]
        bad = await client.post("/api/v1/libraries/anime/recommendations/888/dismiss", headers=KEY)
        assert bad.status_code == 400 and "work id" in bad.json()["error"]


async def test_seeds_are_wanted_entries_with_their_linked_ids(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, _):
        await setup(ctx)
        PLANS["s"] = [SyncResult([
            WantedItem("tvdb:5", ExternalIds(tvdb=5), "Other", 2020, "series", "wanted"),
            WantedItem("tvdb:6", ExternalIds(tvdb=6), "Dropped", 2020, "series", "dropped"),
            WantedItem("tvdb:424536", ExternalIds(tvdb=424536), "Frieren", 2023, "series",
                       "completed"),
        ])]  # fmt: skip
        await sync_instance(ctx, "sonarr", "anime")
        run = await refresh_instance(ctx, "recs-a", "anime")
        assert run.status == "ok"
        seeds = {s.title: s for s in REC_CALLS[-1][2]}
        assert set(seeds) == {"Other", "Frieren"}
        assert seeds["Other"].ids.anilist == 55 and seeds["Other"].origin == "wanted"
        assert seeds["Frieren"].origin == "completed"
        assert seeds["Frieren"].ids.anilist in (154587, 182255)


async def test_failed_refresh_keeps_the_cached_list(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, client):
        await setup(ctx)
        await refresh_all(client, ctx)
        RECS["a"] = PluginError(ErrorCode.RATE_LIMITED, "slow down", retry_after=60)
        body = await refresh_all(client, ctx)
        assert [i["work_id"] for i in body["recommendations"]] == ["tvdb:424536", "tvdb:888"]
        source = next(s for s in body["sources"] if s["instance"] == "recs-a")
        assert source["cached"] and source["last_run"]["status"] == "failed"
        assert "rate_limited" in source["last_run"]["error"]


async def test_refresh_conflicts_only_when_every_instance_runs(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, client):
        await setup(ctx)
        gate = asyncio.Event()
        service = service_of(ctx)

        async def blocked() -> None:
            await gate.wait()

        service.start(("recommendations", "anime", "recs-a"), blocked)
        url = "/api/v1/libraries/anime/recommendations/refresh"
        first = await client.post(url, headers=KEY)
        assert first.status_code == 202
        assert first.json() == {"started": ["recs-b"], "running": ["recs-a"]}
        await service.tasks[("recommendations", "anime", "recs-b")]  # its real run ended
        service.start(("recommendations", "anime", "recs-b"), blocked)
        second = await client.post(url, headers=KEY)
        assert second.status_code == 409
        assert sorted(second.json()["running"]) == ["recs-a", "recs-b"]
        gate.set()
        await service.wait()
        missing = await client.post("/api/v1/libraries/nope/recommendations/refresh", headers=KEY)
        assert missing.status_code == 404
        assert (await client.get("/api/v1/libraries/anime/recommendations")).status_code == 401


async def test_owned_works_are_marked_not_dropped_and_seed(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, client):
        await setup(ctx)

        async def own(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO media_ownership(library_id, work, season, episode, instance_id,"
                " state, generation, updated_at) SELECT l.id, 'tvdb:888', 1, 1, p.id, 'owned',"
                " 1, '2026-11-20' FROM libraries l, plugin_instances p"
                " WHERE l.slug = 'anime' AND p.name = 'aw'"
            )

        await ctx.writer.run(own)
        body = await refresh_all(client, ctx)
        owned = {i["work_id"]: i["owned"] for i in body["recommendations"]}
        assert owned == {"tvdb:424536": False, "tvdb:888": True}
        seeds = {s.title: s for s in REC_CALLS[-1][2]}
        assert seeds["Dungeon"].origin == "owned" and seeds["Dungeon"].ids.anilist == 8888


async def test_dry_run_resolves_without_writing(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS) as (ctx, _):
        await setup(ctx)
        run = await refresh_instance(ctx, "recs-a", "anime", dry_run=True)
        assert (run.status, run.candidates, run.kept) == ("dry_run", 4, 3)
        assert await ctx.readers.fetchall("SELECT * FROM recommendations") == []
        assert await ctx.readers.fetchall("SELECT * FROM recommendation_runs") == []
