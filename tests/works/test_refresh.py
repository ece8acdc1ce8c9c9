"""The metadata_refresh job end to end: the canonical stage fills works, the planner's typed
failures and skip reasons, per-instance overrides, existing-ids-only vs re-match, locks in run
and dry-run, a dry-run with real before → after that leaves the database byte-identical,
max_concurrency enforced at the fake, run summaries, run-now 409."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from anibridge_like.settings import Settings
from tests.works.harness import JOBS, KEY, Harness, works_app


@pytest.fixture
async def h(settings: Settings) -> AsyncIterator[Harness]:
    async with works_app(settings) as harness:
        yield harness


async def _a_work(h: Harness) -> str:
    key = await h.scalar("SELECT key FROM works ORDER BY key LIMIT 1")
    assert isinstance(key, str)
    return key


async def test_canonical_stage_fills_works_from_the_answers_it_fetched(h: Harness) -> None:
    served = await h.scalar(
        "SELECT COUNT(DISTINCT tvdb_id) FROM series_mappings WHERE status IN ('confirmed','high')"
    )
    assert served > 5 and await h.scalar("SELECT COUNT(*) FROM works") == served
    # every served title points at a work that exists
    assert (
        await h.scalar(
            "SELECT COUNT(*) FROM title_works tw LEFT JOIN works w ON w.key = tw.work"
            " WHERE w.key IS NULL"
        )
        == 0
    )
    key = await _a_work(h)
    show = h.skyhook.shows[int(key.split(":")[1])]
    work = await h.work(key)
    assert work["title"] == show.title and work["kind"] == "series"
    assert work["status"] in ("ended", "continuing") and work["genres"] == ["Anime"]
    assert work["rating"] and work["poster_url"].endswith(f"/posters/{show.tvdb_id}-1.jpg")
    assert work["anilist_id"] == show.anilist_ids[0] and work["imdb_id"] == show.imdb_id
    assert [(e["season"], e["episode"]) for e in work["episodes"]] == [
        (e.season, e.number) for e in show.episodes
    ]
    assert work["episodes"][0]["air_date"] == show.episodes[0].air_date
    assert work["provider_titles"] and not work["provider_titles"][0]["gone"]
    # the canonical stage fetched each show once: works cost no extra request
    shows = [p for p in h.skyhook.control.paths if "/shows/" in p]
    assert len(shows) == len(set(shows))


async def test_plan_failures_are_typed(h: Harness) -> None:
    job = await h.create_job("m", {"instances": ["skyhook"]})
    cases = {
        "nope": "instance_missing",
        "anilist": None,  # in scope, serves anime
    }
    for instance, failure in cases.items():
        answer = await h.dry_run(job, config={"instances": [instance]})
        assert answer["plan_failure"] == failure, answer
    # out of scope: anilist does not serve the series library
    series_job = (
        await h.client.post(
            "/api/v1/libraries/series/jobs",
            json={"name": "s", "type": "metadata_refresh", "config": {"instances": ["anilist"]}},
            headers=KEY,
        )
    ).json()["id"]
    answer = await h.client.post(
        f"/api/v1/libraries/series/jobs/{series_job}/dry-run", json={}, headers=KEY
    )
    assert answer.json()["plan_failure"] == "out_of_scope"
    # disabled
    await h.execute("UPDATE plugin_instances SET enabled = 0 WHERE name = 'anilist'")
    assert h.ctx.plugins is not None
    await h.ctx.plugins.reload(h.ctx.readers)
    answer = await h.dry_run(job, config={"instances": ["anilist"]})
    assert answer["plan_failure"] == "instance_disabled"
    # a run with a plan failure records it
    summary = await h.run(job)
    assert summary["plan_failure"] is None  # skyhook itself is fine
    bad = await h.create_job("bad", {"instances": ["anilist"]})
    summary = await h.run(bad)
    assert summary["status"] == "failed" and summary["plan_failure"] == "instance_disabled"


async def test_lacks_capability_when_the_instance_serves_none_of_the_library_kinds(
    h: Harness,
) -> None:
    # skyhook serves series and anime; a movies library needs movie capability
    await h.execute("INSERT INTO libraries(slug, name, kind) VALUES ('movies', 'Movies', 'movies')")
    await h.execute("UPDATE plugin_instances SET all_libraries = 1 WHERE name = 'skyhook'")
    from anibridge_like.libraries.model import Library
    from anibridge_like.works.planner import PlanFailure, resolve_sources
    from anibridge_like.works.refresh_config import MetadataRefreshConfig

    assert h.ctx.plugins is not None
    await h.ctx.plugins.reload(h.ctx.readers)
    movies = Library("movies", "Movies", "movies", (2000,), (), None)
    _sources, failure, message = resolve_sources(
        h.ctx.plugins, movies, MetadataRefreshConfig(instances=["skyhook"])
    )
    assert failure is PlanFailure.LACKS_CAPABILITY and "movies" in (message or "")


async def test_skip_reasons_no_id_recently_synced_locked_gone(h: Harness) -> None:
    keys = [r[0] for r in await h.ctx.readers.fetchall("SELECT key FROM works ORDER BY key")]
    no_id, locked, gone = keys[0], keys[1], keys[2]
    await h.execute("UPDATE works SET anilist_id = NULL WHERE key = ?", (no_id,))
    await h.execute(
        "UPDATE titles SET gone = 1 WHERE id IN (SELECT title_id FROM title_works WHERE work = ?)",
        (gone,),
    )
    lock = await h.client.patch(
        f"/api/v1/works/{locked}/locks", json={"lock": ["title", "aliases", "year"]}, headers=KEY
    )
    assert lock.status_code == 200 and lock.json()["locked_fields"] == ["title", "aliases", "year"]
    config = {
        "instances": ["skyhook", "anilist"],
        "field_groups": ["status"],
        "overrides": {"anilist": {"field_groups": ["titles"]}},
        "skip_recently_synced_hours": 1,
    }
    job = await h.create_job("m", config)
    answer = await h.dry_run(job, work_ids=[no_id, locked, gone])
    skipped = answer["totals"]["skipped"]
    assert skipped == {"gone": 2, "locked": 1, "no_id": 1}, skipped
    by_work = {s["work"]: s for s in answer["sample"]}
    assert by_work[gone]["skipped_instances"] == [
        {"instance": "skyhook", "reason": "gone"},
        {"instance": "anilist", "reason": "gone"},
    ]
    assert {"instance": "anilist", "reason": "no_id"} in by_work[no_id]["skipped_instances"]
    summary = await h.run(job)
    assert summary["skipped"] == {"gone": 2, "locked": 1, "no_id": 1}
    again = await h.run(job)
    assert again["status"] in ("skipped", "success")
    assert again["skipped"]["recently_synced"] == summary["planned"] * 2 - 2  # minus 2 skipped


async def test_per_instance_override_decides_who_writes_which_group(h: Harness) -> None:
    key = await _a_work(h)
    tvdb = key.split(":")[1]
    before = await h.work(key)
    h.skyhook.control.edit(tvdb, title="Renamed By SkyHook", overview="Fresh overview")
    config = {
        "instances": ["skyhook", "anilist"],
        "field_groups": ["descriptive"],
        "overrides": {"anilist": {"field_groups": ["titles", "genres", "ratings"]}},
        "skip_recently_synced_hours": 0,
    }
    job = await h.create_job("m", config)
    summary = await h.run(job)
    assert summary["status"] == "success"
    after = await h.work(key)
    assert after["overview"] == "Fresh overview"  # SkyHook writes descriptive
    assert after["title"] == before["title"]  # titles come from AniList only
    media = before["anilist_id"]  # AniList's genres and score replace SkyHook's
    assert after["genres"] == (["Action", "Fantasy"] if media % 2 else ["Drama"])
    assert after["rating"] == (60 + media % 35) / 10 and before["genres"] == ["Anime"]
    assert summary["groups"]["descriptive"]["changed"] == 1
    assert summary["groups"]["status"] == dict.fromkeys(
        ("added", "changed", "unchanged", "skipped", "failed"), 0
    )


async def test_existing_ids_only_skips_and_rematch_finds_the_id(h: Harness) -> None:
    key = await _a_work(h)
    anilist_id = await h.scalar("SELECT anilist_id FROM works WHERE key = ?", (key,))
    await h.execute("UPDATE works SET anilist_id = NULL WHERE key = ?", (key,))
    base = {"instances": ["anilist"], "field_groups": ["ids"], "skip_recently_synced_hours": 0}
    strict = await h.create_job("strict", base)
    summary = await h.run(strict)
    assert summary["skipped"]["no_id"] == 1
    assert await h.scalar("SELECT anilist_id FROM works WHERE key = ?", (key,)) is None
    loose = await h.create_job("loose", {**base, "existing_ids_only": False})
    summary = await h.run(loose)
    assert "no_id" not in summary["skipped"] and summary["failed"] == 0
    assert await h.scalar("SELECT anilist_id FROM works WHERE key = ?", (key,)) == anilist_id
    assert summary["groups"]["ids"]["added"] >= 1


async def test_dry_run_shows_real_changes_and_writes_nothing(h: Harness) -> None:
    key = await _a_work(h)
    tvdb = key.split(":")[1]
    await h.client.patch(f"/api/v1/works/{key}/locks", json={"lock": ["genres"]}, headers=KEY)
    job = await h.create_job("m", {"instances": ["skyhook"], "skip_recently_synced_hours": 0})
    show = await h.work(key)
    episodes = [
        {
            "seasonNumber": e["season"],
            "episodeNumber": e["episode"],
            "title": e["title"],
            "airDate": e["air_date"],
            "absoluteEpisodeNumber": e["absolute"],
        }
        for e in show["episodes"]
    ]
    episodes.append(
        {"seasonNumber": 1, "episodeNumber": 99, "title": "New", "airDate": "2026-12-01"}
    )
    h.skyhook.control.edit(
        tvdb, status="Continuing", overview="Changed upstream", genres=["Drama"], episodes=episodes
    )
    dump = h.dump()
    requests = h.skyhook.control.requests
    answer = await h.dry_run(job, work_ids=[key])
    assert h.dump() == dump  # nothing written: works, work_sync, metadata_cache, job_runs
    assert h.skyhook.control.requests > requests  # real calls
    sample = answer["sample"][0]
    assert sample["changes"]["overview"] == {
        "before": show["overview"],
        "after": "Changed upstream",
    }
    if show["status"] != "continuing":
        assert sample["changes"]["status"]["after"] == "continuing"
    assert sample["changes"]["episodes"]["added"] == ["S01E99"]
    assert {"field": "genres", "reason": "locked"} in sample["skipped"]
    assert answer["totals"]["planned_works"] == await h.scalar("SELECT COUNT(*) FROM works")
    # default sample: 5 works, capped at 20
    assert len((await h.dry_run(job))["sample"]) == 5
    too_many = await h.client.post(f"{JOBS}/{job}/dry-run", json={"sample_size": 21}, headers=KEY)
    assert too_many.status_code == 422 and too_many.json()["issues"][0]["path"] == "sample_size"
    bad = await h.client.post(
        f"{JOBS}/{job}/dry-run", json={"config": {"field_groups": ["nope"]}}, headers=KEY
    )
    assert bad.status_code == 422 and bad.json()["issues"][0]["path"].startswith("config.")
    assert h.dump() == dump
    # the real run applies exactly that, except the locked field
    summary = await h.run(job)
    work = await h.work(key)
    assert work["overview"] == "Changed upstream" and work["genres"] == ["Anime"]
    assert (1, 99) in {(e["season"], e["episode"]) for e in work["episodes"]}
    assert summary["groups"]["genres"]["skipped"] >= 1


async def test_max_concurrency_is_enforced_at_the_service(h: Harness) -> None:
    h.skyhook.control.delay = 0.15  # long enough for requests to overlap under load
    for limit in (1, 3):
        job = await h.create_job(
            f"c{limit}",
            {"instances": ["skyhook"], "max_concurrency": limit, "skip_recently_synced_hours": 0},
        )
        h.skyhook.control.peak = 0
        summary = await h.run(job)
        assert summary["refreshed"] >= 8
        assert h.skyhook.control.peak == limit


async def test_run_now_answers_409_while_a_refresh_runs(h: Harness) -> None:
    h.skyhook.control.delay = 0.1
    job = await h.create_job(
        "slow",
        {"instances": ["skyhook"], "max_concurrency": 1, "skip_recently_synced_hours": 0},
        cron="0 3 * * *",
    )
    listed = (await h.client.get(JOBS, headers=KEY)).json()["jobs"]
    assert any(j["id"] == job and j["next_run_at"] for j in listed)
    first = await h.client.post(f"{JOBS}/{job}/run", json={}, headers=KEY)
    assert first.status_code == 202
    second = await h.client.post(f"{JOBS}/{job}/run", json={}, headers=KEY)
    assert second.status_code == 409 and second.json()["run_id"] == first.json()["run_id"]
    for _ in range(400):
        runs = (await h.client.get(f"{JOBS}/{job}/runs", headers=KEY)).json()["runs"]
        if runs[0]["status"] not in ("pending", "running"):
            break
        await asyncio.sleep(0.05)
    assert runs[0]["status"] == "success"


async def test_a_failing_service_counts_failed_fields_and_fails_the_run(h: Harness) -> None:
    h.skyhook.control.fail_next(200, status=500)
    job = await h.create_job(
        "m", {"instances": ["skyhook"], "field_groups": ["status"], "skip_recently_synced_hours": 0}
    )
    summary = await h.run(job)
    assert summary["status"] == "failed" and summary["refreshed"] == 0
    assert summary["failed"] == summary["planned"]
    assert summary["groups"]["status"]["failed"] == summary["planned"] * 3
