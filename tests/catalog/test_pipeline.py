"""The whole pipeline through the app: the real AniWorld provider against its fake site on
loopback, faults on the wire, the service's retry scheduling and per-site serialisation."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from anibridge_like.catalog.pipeline import STAGE_NAMES, build_stages
from anibridge_like.catalog.retry import Retrier, stage_failure
from anibridge_like.catalog.service import CatalogService, RefreshRunningError
from anibridge_like.catalog.state import parse_iso
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.plugins.errors import PluginError, policy_for
from anibridge_like.settings import Settings
from tests.catalog.support import fast_settings, open_app, poll, provider, seed
from tests.fakes.memory_provider import register_site
from tests.fakes.sites import RunningSite, serve_app, serve_site
from tests.fakes.skyhook import FakeSkyHook


def test_the_stage_list_is_built_in_one_place_in_order() -> None:
    assert [s.name.value for s in build_stages()] == list(STAGE_NAMES)
    assert STAGE_NAMES == ("title", "detail", "canonical")


@pytest.fixture(scope="module")
def aniworld() -> Iterator[RunningSite]:
    with serve_site("aniworld", titles=60, seed=5) as site:
        yield site


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return fast_settings(settings, admin_api_key=SecretStr("adm1n"), retry_attempts=2)


def aniworld_plugin(site: RunningSite, **config: Any) -> dict[str, Any]:
    return {
        "name": "aniworld",
        "implementation": "aniworld",
        "kind": "provider",
        "config": {"base_url": site.base_url, "timeout": 5, "requests_per_second": None, **config},
    }


async def test_full_bootstrap_of_the_fake_aniworld_site_with_a_429_on_the_listing(
    app_settings: Settings, aniworld: RunningSite
) -> None:
    aniworld.faults.clear()
    aniworld.faults.add("rate_limit", path="/animes-alphabet", count=1, retry_after=0.5)
    alphabet_before = aniworld.faults.count("/animes-alphabet")
    started = time.monotonic()
    async with open_app(app_settings, seed(aniworld_plugin(aniworld))) as client:
        body = await poll(client, lambda b: b["complete"])
        elapsed = time.monotonic() - started
        inst = body["instances"][0]
        assert inst["site"] == "aniworld" and inst["titles"] == 60
        assert inst["stages"]["title"]["persisted"] == 60
        assert inst["stages"]["detail"]["persisted"] == 60
        assert inst["stages"]["detail"]["failed"] == 0
        # the 429 was honoured (Retry-After 0.5 s) and the listing fetched again
        assert aniworld.faults.count("/animes-alphabet") - alphabet_before == 2
        assert elapsed >= 0.5
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        rows = await ctx.readers.fetchall("SELECT slug FROM titles WHERE site = 'aniworld'")
        assert {r[0] for r in rows} == set(aniworld.catalog.slugs)
        episodes = await ctx.readers.fetchone("SELECT COUNT(*) FROM episodes")
        assert episodes[0] == sum(len(t.episodes) for t in aniworld.catalog)
        langs = await ctx.readers.fetchone("SELECT COUNT(*) FROM episode_languages")
        assert langs[0] == sum(len(e.languages) for t in aniworld.catalog for e in t.episodes)


async def finished_runs(ctx: Any, count: int, *, within: float = 180.0) -> list[Any]:
    """The job runs once ``count`` of them have finished, in order (bounded: a hang guard)."""
    deadline = time.monotonic() + within
    while True:
        runs = await ctx.readers.fetchall(
            "SELECT trigger, status, summary FROM job_runs WHERE finished_at IS NOT NULL"
            " ORDER BY id"
        )
        if len(runs) >= count:
            return list(runs)
        assert time.monotonic() < deadline, f"{len(runs)} of {count} runs finished in {within}s"
        await asyncio.sleep(0.05)


async def test_a_broken_detail_page_is_retried_by_the_service_while_the_rest_completes(
    app_settings: Settings, aniworld: RunningSite
) -> None:
    aniworld.faults.clear()
    broken = aniworld.catalog.slugs[13]
    aniworld.faults.add("layout", path=f"/anime/stream/{broken}", count=1)
    app_settings = app_settings.model_copy(update={"title_retry_base_seconds": 4.0})
    async with open_app(app_settings, seed(aniworld_plugin(aniworld))) as client:
        # The run history shows both runs (observing the state between them by polling would
        # race: under load the retry is already due when the first run ends). Wait for each
        # run to finish, not for a time: the bound only guards against a hang.
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        runs = await finished_runs(ctx, 2)
        body = await poll(
            client,
            lambda b: b["complete"] and b["instances"][0]["stages"]["detail"]["failed"] == 0,
        )
        assert [(r[0], r[1]) for r in runs] == [("startup", "success"), ("retry", "success")]
        first, second = (json.loads(r[2]) for r in runs)
        assert first["counts"]["detail"] == {"persisted": 59, "failed": 1}
        assert first["notes"]["detail"].startswith("invalid_data:")
        assert "detail" in first["retry_at"]  # the retry the service scheduled
        # ...which ran by itself, fetched only the broken title and cleared the failure
        assert second["counts"]["detail"] == {"persisted": 1, "failed": 0}
        assert second["stages"]["title"] == "ready (skipped)"
        detail = body["instances"][0]["stages"]["detail"]
        assert detail["persisted"] == 1 and detail["total"] == 1
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        row = await ctx.readers.fetchone(
            "SELECT s.detail_status FROM title_state s JOIN titles t ON t.id = s.title_id"
            " WHERE t.slug = ?",
            (broken,),
        )
        assert row[0] == "ok"


async def test_two_instances_of_one_site_never_run_at_once_nor_list_twice(
    app_settings: Settings,
) -> None:
    site = register_site("shared", GeneratedCatalog("sto", 80, seed=2), page_size=20)
    site.list_delay = 0.05
    site.detail_delay = 0.002
    plugins = (provider("one", "shared"), provider("two", "shared"))
    async with open_app(app_settings, seed(*plugins)) as client:
        body = await poll(client, lambda b: b["complete"])
        assert [i["stages"]["title"]["live_generation"] for i in body["instances"]] == [1, 1]
        assert site.calls["list"] == 4  # four pages, listed once for both instances
        assert site.calls["detail"] == 80
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        service: CatalogService = ctx.services["catalog"]
        service.trigger("one")
        with pytest.raises(RefreshRunningError):
            service.trigger("one")
        second = service.trigger("two")  # waits for the site lock
        assert service.is_running("two")
        await service.wait("one")
        await second
        rows = await ctx.readers.fetchall("SELECT COUNT(*) FROM titles")
        assert rows[0][0] == 80
        assert site.most_active_instances == 1  # the per-site lock held throughout


async def test_canonical_stage_maps_the_catalog_through_a_metadata_instance_in_scope(
    app_settings: Settings,
) -> None:
    catalog = GeneratedCatalog("sto", 60, seed=8)
    register_site("mem", catalog, page_size=25)
    skyhook = FakeSkyHook(catalog)
    with serve_app(skyhook.app) as url:
        data = seed(
            provider("mem-1", "mem", libraries=["series"]),
            {
                "name": "skyhook",
                "implementation": "skyhook",
                "kind": "metadata",
                "libraries": ["series"],
                "config": {"base_url": f"{url}/v1/tvdb"},
            },
        )
        async with open_app(app_settings, data) as client:
            body = await poll(client, lambda b: b["complete"])
            canonical = body["instances"][0]["stages"]["canonical"]
            assert canonical["status"] == "ready" and canonical["last_error"] is None
            assert canonical["total"] == 60 and canonical["persisted"] + canonical["failed"] == 60
            ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
            rows = await ctx.readers.fetchall(
                "SELECT t.slug, m.tvdb_id FROM series_mappings m JOIN titles t ON t.id = m.title_id"
                " WHERE m.status IN ('confirmed', 'high')"
            )
            truth = {t.slug: t.tvdb_id for t in catalog if t.tvdb_id is not None}
            right = sum(1 for slug, tvdb in rows if truth.get(slug) == tvdb)
            assert right >= 0.9 * len(truth) and right == len(rows)
            state = await ctx.readers.fetchone(
                "SELECT COUNT(*) FROM title_state WHERE canonical_status = 'pending'"
            )
            assert state[0] == 0
            assert skyhook.control.requests > 0
            # nothing is due afterwards: another run does not ask the metadata service again
            before = skyhook.control.requests
            await ctx.services["catalog"].trigger("mem-1", manual=False)
            assert skyhook.control.requests == before


async def test_each_instance_is_scheduled_on_its_own_cadence(app_settings: Settings) -> None:
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    register_site("mem", GeneratedCatalog("sto", 20, seed=1))
    register_site("other", GeneratedCatalog("sto", 20, seed=2))
    plugins = (
        provider("every-6h", "mem", refresh_interval_hours=6),
        provider("nightly", "other", refresh_cron="0 4 * * *"),
    )
    async with open_app(app_settings, seed(*plugins)) as client:
        body = await poll(client, lambda b: b["complete"])
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        job = ctx.scheduler.get_job("catalog:every-6h")
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(hours=6)
        assert job.max_instances == 1 and job.coalesce
        listed = parse_iso(body["instances"][0]["stages"]["title"]["finished_at"])
        assert listed is not None
        assert abs((job.next_run_time - (listed + timedelta(hours=6))).total_seconds()) < 10
        nightly = ctx.scheduler.get_job("catalog:nightly")
        assert isinstance(nightly.trigger, CronTrigger)
        assert (nightly.next_run_time.hour, nightly.next_run_time.minute) == (4, 0)


# ---- the error policy, applied in one place (catalog/retry.py) --------------------------------
@pytest.mark.parametrize(
    ("code", "status", "retries_itself"),
    [
        ("rate_limited", "backing_off", True),
        ("upstream", "backing_off", True),
        ("timeout", "backing_off", True),
        ("partial", "backing_off", True),
        ("invalid_data", "failed", True),
        ("blocked", "failed", True),
        ("auth", "failed", True),
        ("not_configured", "failed", False),
    ],
)
def test_stage_failure_status_and_next_attempt_per_code(
    settings: Settings, code: str, status: str, retries_itself: bool
) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    first = stage_failure(PluginError(code, "x"), consecutive=1, settings=settings, now=now)
    assert first.status == status and first.error == f"{code}: x"
    assert (first.next_attempt_at is not None) is retries_itself
    if first.next_attempt_at is None:
        return
    base = policy_for(code).stage_backoff_seconds
    assert base / 2 <= (first.next_attempt_at - now).total_seconds() <= base
    later = stage_failure(PluginError(code, "x"), consecutive=30, settings=settings, now=now)
    assert later.next_attempt_at is not None
    cap = settings.stage_backoff_cap_hours * 3600
    assert cap / 2 <= (later.next_attempt_at - now).total_seconds() <= cap  # capped, not 24 h


def test_retry_after_longer_than_the_backoff_wins_for_the_next_attempt(settings: Settings) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    error = PluginError("rate_limited", "slow down", retry_after=7200)
    failure = stage_failure(error, consecutive=1, settings=settings, now=now)
    assert failure.next_attempt_at == now + timedelta(seconds=7200)


async def test_retrier_backs_off_exponentially_with_jitter_up_to_the_cap() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retrier = Retrier(attempts=6, base=1.0, cap=8.0, sleep=sleep)
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls <= 6:
            raise PluginError("upstream", "503")
        return "ok"

    assert await retrier.call(flaky, what="flaky") == "ok"
    assert len(waits) == 6
    for attempt, wait in enumerate(waits):
        ceiling = min(8.0, 2.0**attempt)
        assert ceiling / 2 <= wait <= ceiling
    calls = 0
    with pytest.raises(PluginError) as caught:  # no attempts left: the error goes up at once
        await Retrier(attempts=0, base=1.0, cap=8.0, sleep=sleep).call(flaky, what="flaky")
    assert caught.value.code == "upstream" and calls == 1


async def test_a_non_contract_exception_from_a_plugin_counts_as_upstream() -> None:
    async def broken() -> None:
        raise KeyError("bug in the plugin")

    retrier = Retrier(attempts=0, base=0.01, cap=0.1)
    with pytest.raises(PluginError) as caught:
        await retrier.call(broken, what="broken")
    assert caught.value.code == "upstream" and "KeyError" in caught.value.message
