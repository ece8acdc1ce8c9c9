"""Wanted first in the catalog stages: wanted titles are fetched (details) and mapped (canonical)
before the others, and their details are refreshed after ``wanted_refresh_hours``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiosqlite
import httpx
import pytest

from anibridge_like.catalog.channel import Channel, EndOfStream
from anibridge_like.catalog.details import DetailStage
from anibridge_like.catalog.enrichment import CanonicalEnrichment
from anibridge_like.catalog.state import iso, utcnow
from anibridge_like.catalog.titles import TitleStage
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.catalog.support import Env, fast_settings
from tests.fakes import memory_provider
from tests.fakes.memory_provider import register_site


@pytest.fixture
async def cenv(settings: Settings, writer: Writer, readers: ReaderPool) -> AsyncIterator[Env]:
    async with httpx.AsyncClient() as http:
        yield Env(fast_settings(settings), writer, readers, http)
    memory_provider.SITES.clear()


async def want(env: Env, slugs: list[str], status: str = "wanted") -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO libraries(slug, name, kind) VALUES ('anime', 'A', 'anime')")
        await conn.execute(
            "INSERT INTO plugin_instances(name, implementation, kind)"
            " VALUES ('s', 'sonarr', 'sync')"
        )
        for i, slug in enumerate(slugs):
            cursor = await conn.execute(
                "INSERT INTO wanted_items(library_id, instance_id, external_id, kind, title,"
                " list_status, generation, first_seen, last_seen) VALUES (1, (SELECT id FROM"
                " plugin_instances WHERE name = 's'), ?, 'series', ?, ?, 1, 'x', 'x')",
                (f"tvdb:{i}", slug, status),
            )
            await conn.execute(
                "INSERT INTO wanted_links(wanted_id, title_id) SELECT ?, id FROM titles"
                " WHERE slug = ?",
                (cursor.lastrowid, slug),
            )

    await env.writer.run(unit)


def fetched(site: object) -> list[str]:
    calls = site.calls  # type: ignore[attr-defined]
    return [k.removeprefix("detail:") for k in calls if k.startswith("detail:")]


async def test_wanted_titles_are_fetched_first_and_refreshed_sooner(cenv: Env) -> None:
    env = cenv
    env.settings = env.settings.model_copy(
        update={"detail_concurrency": 1, "wanted_refresh_hours": 6, "detail_refresh_hours": 72}
    )
    site = register_site("mem", GeneratedCatalog("aniworld", 30, seed=5), page_size=10)
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=[TitleStage()])
    slugs = site.catalog.slugs
    wanted = [slugs[25], slugs[17]]
    await want(env, wanted)
    results = await env.refresh("mem", stages=[DetailStage()])
    # a catalog run is asked for when the first wanted title is due again
    asked = results["detail"].next_attempt_at
    assert asked is not None
    assert timedelta(hours=5.9) < asked - utcnow() <= timedelta(hours=6)
    order = fetched(site)
    assert len(order) == 30 and set(order[:2]) == set(wanted)
    assert order[2:] == [s for s in order[2:] if s not in wanted]

    # seven hours later: only the wanted titles are due (the others wait for 72 hours)
    stale = iso(utcnow() - timedelta(hours=7))
    await env.writer.execute("UPDATE title_state SET detail_ok_at = ?", (stale,))
    site.calls.clear()
    await env.refresh("mem", stages=[DetailStage()])
    assert sorted(fetched(site)) == sorted(wanted)
    site.calls.clear()
    nothing = await env.refresh("mem", stages=[DetailStage()])
    assert fetched(site) == [] and nothing["detail"].next_attempt_at is not None


async def test_completed_entries_are_not_prioritised(cenv: Env) -> None:
    env = cenv
    env.settings = env.settings.model_copy(update={"detail_concurrency": 1})
    site = register_site("mem", GeneratedCatalog("aniworld", 12, seed=5), page_size=10)
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=[TitleStage()])
    await want(env, [site.catalog.slugs[9]], status="completed")
    await env.refresh("mem", stages=[DetailStage()])
    assert fetched(site)[0] != site.catalog.slugs[9]


async def test_canonical_feeder_hands_wanted_titles_over_first(cenv: Env) -> None:
    env = cenv
    site = register_site("mem", GeneratedCatalog("aniworld", 150, seed=5), page_size=50)
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=[TitleStage(), DetailStage()])
    wanted = [site.catalog.slugs[140], site.catalog.slugs[120]]
    await want(env, wanted)
    ids = {
        r["slug"]: r["id"] for r in await env.rows("SELECT id, slug FROM titles WHERE site = 'mem'")
    }
    chunks: Channel[list[int]] = Channel(10, name="test")
    run = await env.make_run("mem")
    await CanonicalEnrichment()._feed(run, chunks, iso(utcnow()))
    fed: list[list[int]] = []
    while True:
        try:
            fed.append(await chunks.get())
        except EndOfStream:
            break
    assert sorted(fed[0]) == sorted(ids[s] for s in wanted)
    rest = [i for chunk in fed[1:] for i in chunk]
    assert sorted(rest) == sorted(set(ids.values()) - set(fed[0]))  # each title once
