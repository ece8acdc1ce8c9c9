"""A stage that fails because the disk is full is labelled ``storage`` (not an upstream fault),
its failure and next attempt are persisted, and the next run after the disk has room completes
(issue 12, item 11). The full disk is SQLite's ``max_page_count`` on the write connection."""

from __future__ import annotations

import aiosqlite

from anibridge_like.catalog.titles import TitleStage
from anibridge_like.demo.catalog import GeneratedCatalog
from tests.catalog.support import Env
from tests.fakes.memory_provider import register_site


async def _limit(env: Env, extra_pages: int | None) -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        rows = list(await conn.execute_fetchall("PRAGMA page_count"))
        limit = 2**31 - 2 if extra_pages is None else int(rows[0][0]) + extra_pages
        await conn.execute(f"PRAGMA max_page_count = {limit}")

    await env.writer.run(unit)


async def test_a_full_disk_fails_the_stage_as_storage_and_the_next_run_recovers(env: Env) -> None:
    register_site("mem", GeneratedCatalog("aniworld", 400, seed=4), page_size=100)
    await env.add_instance("mem", "mem")
    await _limit(env, 2)
    results = await env.refresh("mem", stages=[TitleStage()])
    title = results["title"]
    assert title.status == "failed"
    assert title.error is not None and title.error.startswith("storage: disk full")
    state = await env.stage("mem", "title")
    assert state["status"] == "failed"
    assert state["last_error"].startswith("storage: disk full")
    assert state["next_attempt_at"] is not None  # the retry is persisted, not only in memory
    await _limit(env, None)
    again = await env.refresh("mem", manual=True, stages=[TitleStage()])  # not waiting 60 s
    assert again["title"].status == "ready"
    assert await env.scalar("SELECT COUNT(*) FROM titles WHERE site = 'mem'") == 400
