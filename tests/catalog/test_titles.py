"""Title stage: listing → bounded channel → staging → promotion, with generations and faults."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import aiosqlite
import pytest

from anibridge_like.catalog.channel import Channel, ChannelClosedError, EndOfStream
from anibridge_like.catalog.state import StageName, parse_iso
from anibridge_like.catalog.titles import TitleStage
from anibridge_like.demo.catalog import GeneratedCatalog
from tests.catalog.support import Env
from tests.fakes.memory_provider import register_site

TITLE_ONLY = [TitleStage()]


async def live_titles(env: Env, site: str) -> int:
    return int(await env.scalar("SELECT COUNT(*) FROM titles WHERE site = ? AND gone = 0", (site,)))


# ---- the channel: end of stream is never lost -------------------------------------------------
async def test_close_on_a_full_channel_delivers_every_item_then_end_of_stream() -> None:
    channel: Channel[int] = Channel(3)
    for i in range(3):
        await channel.put(i)
    assert channel.depth == 3
    channel.close()  # the peer's put_nowait(sentinel) raised QueueFull exactly here
    got = [item async for item in channel]
    assert got == [0, 1, 2]
    with pytest.raises(EndOfStream):
        await channel.get()


async def test_abort_reaches_a_producer_blocked_on_a_full_channel() -> None:
    channel: Channel[int] = Channel(1)
    await channel.put(1)
    blocked = asyncio.create_task(channel.put(2))
    await asyncio.sleep(0.01)
    assert not blocked.done()
    channel.abort(RuntimeError("cancelled"))
    with pytest.raises(ChannelClosedError):
        await asyncio.wait_for(blocked, 1)
    with pytest.raises(RuntimeError, match="cancelled"):
        await channel.get()


async def test_a_10000_title_listing_survives_end_of_stream_on_a_full_queue(env: Env) -> None:
    """The peer loses its whole 10,000-title s.to listing when its end marker meets a full queue
    (maxsize 8) while the writer is busy. Reproduce exactly that: 10,000 titles, a queue of 8
    batches of 32, and the writer held while the listing's last 9 batches arrive — so the
    listing ends with one batch waiting on the writer and the queue full."""
    env.settings = env.settings.model_copy(update={"title_queue_size": 8, "title_batch_size": 32})
    last_page = 9 * 32  # the last page is 9 batches: one in the consumer's hands, 8 queued
    site = register_site(
        "sto10k", GeneratedCatalog("sto", 10_000, seed=3), page_size=10_000 - last_page
    )
    site.page_delays[1] = 0.5
    await env.add_instance("sto10k", "sto10k")
    last_requested = asyncio.Event()
    site.on_list_page = lambda page: last_requested.set() if page == 1 else None
    gate = asyncio.Event()

    async def hold(conn: aiosqlite.Connection) -> None:
        await gate.wait()

    task = asyncio.create_task(TitleStage().run(await env.make_run("sto10k")))
    await asyncio.wait_for(last_requested.wait(), 20)
    progress = env.board.get("sto10k", "title")
    deadline = time.monotonic() + 20
    while progress.persisted < 10_000 - last_page:  # the first page is written
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.005)
    holder = asyncio.create_task(env.writer.run(hold))  # the writer is busy from now on
    try:
        while progress.queue_depth is None or progress.queue_depth() < 8:
            assert time.monotonic() < deadline, "the channel never filled"
            assert not task.done(), task
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)
        assert progress.queue_depth() == 8  # full, and the listing has ended
        assert site.calls["list"] == 2 and not task.done()
    finally:
        gate.set()
        await holder
    result = await asyncio.wait_for(task, 60)
    assert result.status == "ready"
    assert await live_titles(env, "sto10k") == 10_000
    assert await env.scalar("SELECT COUNT(*) FROM staging_titles") == 0


# ---- bootstrap and promotion ------------------------------------------------------------------
async def test_bootstrap_promotes_a_complete_listing(env: Env) -> None:
    catalog = GeneratedCatalog("aniworld", 300, seed=1)
    register_site("mem", catalog, page_size=50)
    await env.add_instance("mem", "mem")
    results = await env.refresh("mem", stages=TITLE_ONLY)
    assert results["title"].status == "ready"
    state = await env.stage("mem", "title")
    assert state["status"] == "ready"
    assert state["live_generation"] == 1 and state["staging_generation"] is None
    assert state["listed"] == state["persisted"] == state["total"] == 300
    assert state["ready_at"] is not None and state["cursor"] is None
    rows = await env.rows("SELECT slug, title, year FROM titles WHERE site = 'mem' ORDER BY id")
    assert {r["slug"] for r in rows} == set(catalog.slugs)
    one = catalog.title(17)
    aliases = await env.rows(
        "SELECT alias FROM title_aliases a JOIN titles t ON t.id = a.title_id WHERE t.slug = ?",
        (one.slug,),
    )
    assert sorted(a["alias"] for a in aliases) == sorted(one.aliases)
    assert (
        await env.scalar("SELECT COUNT(*) FROM title_state WHERE detail_status = 'pending'") == 300
    )
    assert await env.scalar("SELECT COUNT(*) FROM staging_titles") == 0
    hits = await env.rows(
        "SELECT t.slug FROM title_search s JOIN search_terms st ON st.id = s.rowid"
        " JOIN titles t ON t.id = st.title_id WHERE title_search MATCH ?",
        (f'"{one.title}"',),
    )
    assert one.slug in {h["slug"] for h in hits}


async def test_listing_fault_midway_keeps_the_previous_generation_live_and_resumes(
    env: Env,
) -> None:
    site = register_site("mem", GeneratedCatalog("aniworld", 300, seed=2), page_size=50)
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=TITLE_ONLY)
    site.renamed[site.catalog.slugs[0]] = "Renamed In Generation Two"
    site.fail("list", code="upstream", at=3, count=1)
    before = time.time()
    results = await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    assert results["title"].status == "backing_off"
    state = await env.stage("mem", "title")
    assert state["live_generation"] == 1 and state["staging_generation"] == 2
    assert state["cursor"] == "150" and state["attempts"] == 1
    assert state["last_error"].startswith("upstream:")
    next_at = parse_iso(state["next_attempt_at"])
    assert next_at is not None
    # backoff for upstream starts at policy 300 s with jitter (0.5..1 ×), never a fixed 24 h
    assert before + 140 <= next_at.timestamp() <= before + 310
    # the live generation is untouched and serving
    assert await live_titles(env, "mem") == 300
    assert await env.scalar("SELECT MAX(generation) FROM titles") == 1
    assert await env.scalar(
        "SELECT title FROM titles WHERE slug = ?", (site.catalog.slugs[0],)
    ) == (site.catalog.title(0).title)
    assert await env.scalar("SELECT COUNT(*) FROM staging_titles WHERE generation = 2") == 150
    # the next attempt resumes from the saved cursor: pages 0–2 are not fetched again
    pages_before = dict(site.calls)
    results = await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    assert results["title"].status == "ready"
    assert site.calls["list:0"] == pages_before["list:0"]
    assert site.calls["list:3"] == pages_before["list:3"] + 1
    state = await env.stage("mem", "title")
    assert state["live_generation"] == 2 and state["attempts"] == 0 and state["last_error"] is None
    assert await env.scalar("SELECT COUNT(*) FROM titles WHERE generation = 2") == 300
    assert (
        await env.scalar("SELECT title FROM titles WHERE slug = ?", (site.catalog.slugs[0],))
        == "Renamed In Generation Two"
    )


async def test_single_page_listing_failure_discards_staging(env: Env) -> None:
    site = register_site("mem", GeneratedCatalog("sto", 80, seed=2))
    await env.add_instance("mem", "mem")
    site.fail("list", code="invalid_data", count=1)
    results = await env.refresh("mem", stages=TITLE_ONLY)
    assert results["title"].status == "failed" and results["title"].blocks_following
    state = await env.stage("mem", "title")
    assert state["last_error"].startswith("invalid_data:")
    assert state["staging_generation"] is None and state["ready_at"] is None
    next_at = parse_iso(state["next_attempt_at"])
    assert next_at is not None and next_at > datetime.now(next_at.tzinfo) + timedelta(minutes=10)
    assert await env.scalar("SELECT COUNT(*) FROM staging_titles") == 0
    assert await live_titles(env, "mem") == 0


async def test_rate_limited_listing_waits_retry_after_then_succeeds(env: Env) -> None:
    env.settings = env.settings.model_copy(update={"retry_attempts": 2})
    site = register_site("mem", GeneratedCatalog("sto", 60, seed=4), page_size=20)
    await env.add_instance("mem", "mem")
    site.fail("list", code="rate_limited", at=1, count=1, retry_after=0.4)
    run = await env.make_run("mem")
    started = time.monotonic()
    result = await TitleStage().run(run)
    assert result.status == "ready"
    assert time.monotonic() - started >= 0.4
    assert run.retrier.retries == 1 and run.retrier.waited == pytest.approx(0.4)
    assert site.calls["list:1"] == 2


async def test_rate_limit_longer_than_the_cap_backs_the_stage_off_until_retry_after(
    env: Env,
) -> None:
    env.settings = env.settings.model_copy(update={"retry_attempts": 3})
    site = register_site("mem", GeneratedCatalog("sto", 60, seed=4), page_size=20)
    await env.add_instance("mem", "mem")
    site.fail("list", code="rate_limited", at=0, count=1, retry_after=3600)
    before = time.time()
    results = await env.refresh("mem", stages=TITLE_ONLY)
    assert results["title"].status == "backing_off"
    assert site.calls["list"] == 1  # no sleeping an hour inside a run
    next_at = parse_iso((await env.stage("mem", "title"))["next_attempt_at"])
    assert next_at is not None and next_at.timestamp() >= before + 3600


async def test_partial_listing_keeps_items_and_resumes_from_the_cursor(env: Env) -> None:
    site = register_site("mem", GeneratedCatalog("sto", 120, seed=5), page_size=40)
    await env.add_instance("mem", "mem")
    site.fail("list", code="partial", at=1, count=1, partial_share=0.5)
    results = await env.refresh("mem", stages=TITLE_ONLY)
    assert results["title"].status == "ready"
    assert await live_titles(env, "mem") == 120
    assert (await env.stage("mem", "title"))["listed"] == 120


async def test_a_title_is_gone_only_after_two_complete_listings_miss_it(env: Env) -> None:
    site = register_site("mem", GeneratedCatalog("sto", 50, seed=6), page_size=20)
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=TITLE_ONLY)
    victim = site.catalog.slugs[7]
    site.dropped = {victim, *site.catalog.slugs[20:45]}  # a badly truncated listing
    await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    row = await env.rows("SELECT missed, gone FROM titles WHERE slug = ?", (victim,))
    assert row == [{"missed": 1, "gone": 0}]
    assert await live_titles(env, "mem") == 50  # one truncated listing deletes nothing
    site.dropped = {victim}
    await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    assert await env.rows("SELECT missed, gone FROM titles WHERE slug = ?", (victim,)) == [
        {"missed": 2, "gone": 1}
    ]
    assert await live_titles(env, "mem") == 49
    site.dropped = set()
    await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    assert await env.rows("SELECT missed, gone FROM titles WHERE slug = ?", (victim,)) == [
        {"missed": 0, "gone": 0}
    ]


async def test_an_empty_listing_never_replaces_a_live_catalog(env: Env) -> None:
    site = register_site("mem", GeneratedCatalog("sto", 30, seed=6))
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=TITLE_ONLY)
    site.dropped = set(site.catalog.slugs)
    results = await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    assert results["title"].status == "failed"
    assert "without a single title" in (await env.stage("mem", "title"))["last_error"]
    assert await env.scalar("SELECT MAX(missed) FROM titles") == 0


async def test_changed_listing_entries_become_due_for_details(env: Env) -> None:
    site = register_site("mem", GeneratedCatalog("sto", 30, seed=8))
    await env.add_instance("mem", "mem")
    await env.refresh("mem", stages=TITLE_ONLY)

    async def all_ok(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE title_state SET detail_status = 'ok'")

    await env.writer.run(all_ok)
    changed = site.catalog.slugs[3]
    site.renamed[changed] = "A Brand New Name"
    await env.refresh("mem", manual=True, stages=TITLE_ONLY)
    pending = await env.rows(
        "SELECT t.slug, t.title FROM titles t JOIN title_state s ON s.title_id = t.id"
        " WHERE s.detail_status = 'pending'"
    )
    assert pending == [{"slug": changed, "title": "A Brand New Name"}]


async def test_second_instance_of_a_site_adopts_a_fresh_listing(env: Env) -> None:
    site = register_site("shared", GeneratedCatalog("sto", 40, seed=9), page_size=20)
    await env.add_instance("first", "shared", config={"site": "shared"})
    await env.add_instance("second", "shared", config={"site": "shared"})
    await env.refresh("first", stages=TITLE_ONLY)
    calls = site.calls["list"]
    results = await env.refresh("second", stages=TITLE_ONLY)
    assert results["title"].status == "ready" and results["title"].skipped
    assert site.calls["list"] == calls  # the site was not listed twice
    second = await env.stage("second", "title")
    first = await env.stage("first", "title")
    assert second["live_generation"] == first["live_generation"]
    assert second["finished_at"] == first["finished_at"]
    assert await env.scalar("SELECT COUNT(*) FROM titles") == 40  # keyed by site, not instance
    # a scheduled run of the first instance within half its interval does not list again either
    results = await env.refresh("first", stages=TITLE_ONLY)
    assert results["title"].skipped and site.calls["list"] == calls


async def test_invalid_listing_items_are_counted_not_promoted(env: Env) -> None:
    register_site("mem", GeneratedCatalog("sto", 10, seed=1))
    await env.add_instance("mem", "mem")
    stage = TitleStage()
    run = await env.make_run("mem")
    from anibridge_like.plugins.provider import TitleItem, TitlePage

    class Broken:
        site = "mem"

        async def list_titles(self, cursor: str | None) -> TitlePage:
            return TitlePage(
                items=[
                    TitleItem("ok-one", "Ok One"),
                    TitleItem("", "No Slug"),
                    TitleItem("bad-kind", "Bad", kind="opera"),
                ]  # type: ignore[arg-type]
            )

        async def fetch_detail(self, slug: str) -> None:
            raise AssertionError

    run.provider = Broken()  # type: ignore[assignment]
    assert (await stage.run(run)).status == "ready"
    state = await env.stage("mem", StageName.TITLE)
    assert (state["listed"], state["persisted"], state["failed"]) == (3, 1, 2)
    assert await env.scalar("SELECT slug FROM titles") == "ok-one"
