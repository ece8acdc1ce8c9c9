"""Detail stage: episodes and languages per title, per-title failures, stage failure rules."""

from __future__ import annotations

import asyncio
import time

import aiosqlite

from anibridge_like.catalog.details import DetailStage
from anibridge_like.catalog.state import now_iso, parse_iso, utcnow
from anibridge_like.catalog.titles import TitleStage
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.plugins.provider import Language
from tests.catalog.support import Env
from tests.fakes.memory_provider import MemorySite, register_site

TITLE_DETAIL = [TitleStage(), DetailStage()]


async def bootstrap(env: Env, size: int = 60, *, flavor_site: str = "aniworld") -> MemorySite:
    site = register_site("mem", GeneratedCatalog(flavor_site, size, seed=11), page_size=25)
    await env.add_instance("mem", "mem")
    return site


async def test_details_match_the_generated_truth(env: Env) -> None:
    site = await bootstrap(env, 60)
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].status == "ready"
    state = await env.stage("mem", "detail")
    assert (state["persisted"], state["failed"], state["total"]) == (60, 0, 60)
    assert state["ready_at"] is not None
    expected_eps = sum(len(t.episodes) for t in site.catalog)
    expected_langs = sum(len(e.languages) for t in site.catalog for e in t.episodes)
    assert await env.scalar("SELECT COUNT(*) FROM episodes") == expected_eps
    assert await env.scalar("SELECT COUNT(*) FROM episode_languages") == expected_langs
    truth = site.catalog.title(5)
    rows = await env.rows(
        "SELECT e.season, e.number, e.kind, group_concat(l.language) AS langs FROM episodes e"
        " JOIN titles t ON t.id = e.title_id JOIN episode_languages l ON l.episode_id = e.id"
        " WHERE t.slug = ? GROUP BY e.id ORDER BY e.season, e.number",
        (truth.slug,),
    )
    got = {(r["season"], r["number"], r["kind"], frozenset(r["langs"].split(","))) for r in rows}
    want = {
        (e.season, e.number, e.kind, frozenset(str(x) for x in e.languages)) for e in truth.episodes
    }
    assert got == want
    assert (
        await env.scalar(
            "SELECT COUNT(*) FROM title_state WHERE detail_status = 'ok' AND detail_next_at > ?",
            (state["finished_at"],),
        )
        == 60
    )
    # nothing is due right after: a second run does no work
    calls = site.calls["detail"]
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].skipped and site.calls["detail"] == calls


async def reach_retry_time(env: Env, slug: str) -> None:
    """Time passes until the title's retry is due: its ``detail_next_at`` becomes now."""

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "UPDATE title_state SET detail_next_at = ?"
            " WHERE title_id = (SELECT id FROM titles WHERE slug = ?)",
            (now_iso(), slug),
        )

    await env.writer.run(unit)


async def test_a_broken_title_is_counted_and_retried_while_the_rest_completes(env: Env) -> None:
    # A window no run under load outlasts (the immediate run below must find the title not due);
    # the clock reaching the retry time is the title's ``detail_next_at`` moved to now, not a
    # sleep racing the runs.
    env.settings = env.settings.model_copy(update={"title_retry_base_seconds": 600.0})
    site = await bootstrap(env, 40)
    broken = site.catalog.slugs[9]
    site.fail("detail", code="invalid_data", slug=broken, count=2)
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].status == "ready"
    retry_at = results["detail"].next_attempt_at
    assert retry_at is not None  # the stage asks for a run to retry the title
    state = await env.stage("mem", "detail")
    assert (state["persisted"], state["failed"]) == (39, 1)
    assert state["last_error"].startswith("invalid_data:")
    row = (
        await env.rows(
            "SELECT s.* FROM title_state s JOIN titles t ON t.id = s.title_id WHERE t.slug = ?",
            (broken,),
        )
    )[0]
    assert row["detail_status"] == "failed" and row["detail_failures"] == 1
    assert row["detail_error"].startswith("invalid_data:")
    stored = parse_iso(row["detail_next_at"])
    assert stored is not None and abs((stored - retry_at).total_seconds()) < 0.001
    # not due yet: an immediate run leaves it alone
    await env.refresh("mem", stages=TITLE_DETAIL)
    assert site.calls[f"detail:{broken}"] == 1
    await reach_retry_time(env, broken)
    results = await env.refresh("mem", stages=TITLE_DETAIL)  # still broken: second failure
    assert site.calls[f"detail:{broken}"] == 2
    row = (
        await env.rows(
            "SELECT s.* FROM title_state s JOIN titles t ON t.id = s.title_id WHERE t.slug = ?",
            (broken,),
        )
    )[0]
    assert row["detail_failures"] == 2  # backoff grows per consecutive failure
    next_at = parse_iso(row["detail_next_at"])
    assert next_at is not None and next_at > utcnow()  # not due before its time either
    await env.refresh("mem", stages=TITLE_DETAIL)
    assert site.calls[f"detail:{broken}"] == 2
    await reach_retry_time(env, broken)
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].status == "ready" and results["detail"].next_attempt_at is None
    assert await env.scalar("SELECT COUNT(*) FROM title_state WHERE detail_status = 'ok'") == 40
    assert (await env.stage("mem", "detail"))["failed"] == 0


async def test_too_many_failed_titles_fail_the_stage_with_backoff(env: Env) -> None:
    env.settings = env.settings.model_copy(update={"max_failed_share": 0.2})
    site = await bootstrap(env, 50)
    for slug in site.catalog.slugs[:15]:
        site.fail("detail", code="not_found", slug=slug, count=None)
    before = time.time()
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].status == "failed"
    state = await env.stage("mem", "detail")
    assert "more than the allowed share" in state["last_error"]
    assert state["ready_at"] is None and state["attempts"] == 1
    next_at = parse_iso(state["next_attempt_at"])
    assert next_at is not None and next_at.timestamp() > before
    assert state["failed"] > 10


async def test_blocked_site_stops_the_stage_at_once(env: Env) -> None:
    site = await bootstrap(env, 200)
    site.fail("detail", code="blocked", count=None)
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].status == "failed"
    assert site.calls["detail"] < 40  # stopped early, not 200 doomed fetches
    state = await env.stage("mem", "detail")
    assert state["last_error"].startswith("blocked:")
    assert (
        await env.scalar("SELECT COUNT(*) FROM title_state WHERE detail_status = 'pending'") > 150
    )


async def test_a_site_that_looks_down_stops_the_stage(env: Env) -> None:
    site = await bootstrap(env, 200)
    site.fail("detail", code="upstream", count=None)
    results = await env.refresh("mem", stages=TITLE_DETAIL)
    assert results["detail"].status == "backing_off"
    assert site.calls["detail"] < 60
    assert "in a row failed" in (await env.stage("mem", "detail"))["last_error"]


async def test_language_first_seen_is_kept_and_new_languages_get_now(env: Env) -> None:
    site = await bootstrap(env, 5, flavor_site="sto")
    await env.refresh("mem", stages=TITLE_DETAIL)
    truth = site.catalog.title(0)
    ep = truth.episodes[0]
    before = await env.rows(
        "SELECT l.language, l.first_seen FROM episode_languages l JOIN episodes e"
        " ON e.id = l.episode_id JOIN titles t ON t.id = e.title_id"
        " WHERE t.slug = ? AND e.season = ? AND e.number = ?",
        (truth.slug, ep.season, ep.number),
    )
    new_lang = next(x for x in Language if x not in ep.languages)
    site.extra_languages[(truth.slug, ep.season, ep.number)] = {new_lang}
    gone = truth.episodes[-1]
    site.removed_episodes.add((truth.slug, gone.season, gone.number))
    await asyncio.sleep(0.01)

    async def due(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE title_state SET detail_next_at = '2000-01-01T00:00:00.000Z'")
        await conn.execute("UPDATE title_state SET canonical_status = 'ok'")

    await env.writer.run(due)
    await env.refresh("mem", stages=TITLE_DETAIL)
    after = {
        r["language"]: r["first_seen"]
        for r in await env.rows(
            "SELECT l.language, l.first_seen FROM episode_languages l JOIN episodes e"
            " ON e.id = l.episode_id JOIN titles t ON t.id = e.title_id"
            " WHERE t.slug = ? AND e.season = ? AND e.number = ?",
            (truth.slug, ep.season, ep.number),
        )
    }
    for row in before:
        assert after[row["language"]] == row["first_seen"]
    assert after[str(new_lang)] > max(r["first_seen"] for r in before)
    assert (
        await env.scalar(
            "SELECT COUNT(*) FROM episodes e JOIN titles t ON t.id = e.title_id"
            " WHERE t.slug = ? AND e.season = ? AND e.number = ?",
            (truth.slug, gone.season, gone.number),
        )
        == 0
    )
    # the title whose episodes changed is due for canonical mapping again; the others are not
    assert await env.rows(
        "SELECT t.slug FROM title_state s JOIN titles t ON t.id = s.title_id"
        " WHERE s.canonical_status = 'pending'"
    ) == [{"slug": truth.slug}]


async def test_detail_corrects_title_and_year_from_the_title_page(env: Env) -> None:
    site = await bootstrap(env, 5, flavor_site="megakino")
    slug = site.catalog.slugs[2]
    site.renamed[slug] = "Corrected Real Title"
    # the listing said otherwise (as megakino's sitemap only knows slugs)
    await env.refresh("mem", stages=[TitleStage()])

    async def provisional(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "UPDATE titles SET title = 'provisional', year = NULL WHERE slug = ?", (slug,)
        )

    await env.writer.run(provisional)
    await env.refresh("mem", stages=[DetailStage()])
    row = (await env.rows("SELECT title, year FROM titles WHERE slug = ?", (slug,)))[0]
    assert row == {"title": "Corrected Real Title", "year": site.catalog.title(2).year}


async def test_linked_external_ids_are_stored_and_a_changed_id_makes_the_title_due(
    env: Env,
) -> None:
    site = await bootstrap(env, 6, flavor_site="sto")
    linked, other = site.catalog.slugs[1], site.catalog.slugs[4]
    site.external_ids[linked] = {"imdb": "tt0944947", "tvdb": "121361", "trakt": "1390"}
    site.external_ids[other] = {"tmdb": "1399"}
    await env.refresh("mem", stages=TITLE_DETAIL)
    stored = "SELECT t.slug, x.namespace, x.value FROM title_external_ids x JOIN titles t" + (
        " ON t.id = x.title_id ORDER BY t.slug, x.namespace"
    )
    want = sorted(
        [
            {"slug": linked, "namespace": "imdb", "value": "tt0944947"},
            {"slug": linked, "namespace": "tvdb", "value": "121361"},
            {"slug": other, "namespace": "tmdb", "value": "1399"},
        ],
        key=lambda r: (r["slug"], r["namespace"]),
    )
    assert await env.rows(stored) == want  # "trakt" is not a stored namespace

    async def due(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE title_state SET detail_next_at = '2000-01-01T00:00:00.000Z'")
        await conn.execute("UPDATE title_state SET canonical_status = 'ok'")

    # unchanged ids: nothing becomes due for the canonical stage
    await env.writer.run(due)
    await env.refresh("mem", stages=TITLE_DETAIL)
    pending = (
        "SELECT t.slug FROM title_state s JOIN titles t ON t.id = s.title_id"
        " WHERE s.canonical_status = 'pending' ORDER BY t.slug"
    )
    assert await env.rows(pending) == []
    # a changed imdb id is written and makes (only) that title due again
    site.external_ids[linked] = {"imdb": "tt0903747", "tvdb": "121361"}
    await env.writer.run(due)
    await env.refresh("mem", stages=TITLE_DETAIL)
    assert await env.rows(pending) == [{"slug": linked}]
    rows = await env.rows(stored)
    assert {"slug": linked, "namespace": "imdb", "value": "tt0903747"} in rows
    assert len(rows) == 3
