"""Catalog refresh runs as a job: one ``catalog_refresh`` job per provider instance, kept in step
with the instances, every refresh (bootstrap, manual, scheduled) in the run history, and the
scheduler's next fire time in ``/health/catalog``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from pydantic import SecretStr

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.settings import Settings
from tests.catalog.support import fast_settings, open_app, poll, provider, seed
from tests.fakes import memory_provider
from tests.fakes.memory_provider import register_site

KEY = {"X-Api-Key": "adm1n"}


@pytest.fixture(autouse=True)
def _sites() -> Iterator[None]:
    register_site("mem", GeneratedCatalog("aniworld", 12, seed=3))
    yield
    memory_provider.SITES.clear()


async def test_refreshes_are_job_runs_with_history_and_next_fire_time(settings: Settings) -> None:
    app_settings = fast_settings(
        settings, admin_api_key=SecretStr("adm1n"), timezone="Europe/Berlin"
    )
    data = seed(provider("weekly", "mem", refresh_cron="0 4 * * 0"))
    async with open_app(app_settings, data) as client:
        await poll(client, lambda b: b["complete"])
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        service = ctx.services["catalog"]
        job_id = service.job_id("weekly")
        assert job_id is not None
        await service.wait("weekly")
        memory_provider.SITES["mem"].list_delay = 0.3  # the manual run is still listing at the 409
        started = await client.post("/api/v1/plugins/weekly/refresh", headers=KEY)
        assert started.status_code == 202
        refused = await client.post("/api/v1/plugins/weekly/refresh", headers=KEY)
        assert refused.status_code == 409
        await service.wait("weekly")
        rows = await ctx.readers.fetchall(
            "SELECT trigger, status, summary, id FROM job_runs WHERE job_id = ? ORDER BY id",
            (job_id,),
        )
        assert [(r[0], r[1]) for r in rows] == [("startup", "success"), ("manual", "success")]
        # the 409 names the active run, as the jobs API's run-now 409 does
        assert refused.json()["run_id"] == started.json()["run_id"] == rows[1][3]
        assert '"title": "ready"' in rows[0][2]
        body = (await client.get("/health/catalog")).json()
        (job,) = [j for j in body["jobs"] if j["instance"] == "weekly"]
        assert job["type"] == "catalog_refresh" and job["timezone"] == "Europe/Berlin"
        assert job["last_run_status"] == "success"
        fire = datetime.fromisoformat(job["next_run_at"])
        local = fire.astimezone(ctx.scheduler.get_job("catalog:weekly").trigger.timezone)
        assert local.strftime("%a %H:%M") == "Sun 04:00"  # Sunday, not APScheduler's Monday
        assert body["instances"][0]["next_run_at"] == job["next_run_at"]


async def test_catalog_jobs_follow_the_instances(settings: Settings) -> None:
    register_site("other", GeneratedCatalog("sto", 5, seed=4))
    data = seed(provider("one", "mem"), provider("two", "other", enabled=False))
    async with open_app(fast_settings(settings), data) as client:
        await poll(client, lambda b: b["complete"])
        ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
        rows = await ctx.readers.fetchall(
            "SELECT j.key, j.enabled, p.name FROM jobs j JOIN plugin_instances p"
            " ON p.id = j.instance_id ORDER BY j.key"
        )
        assert [tuple(r) for r in rows] == [("catalog:one", 1, "one"), ("catalog:two", 0, "two")]
        assert ctx.scheduler.get_job("catalog:two") is None
        await ctx.writer.execute("DELETE FROM plugin_instances WHERE name = 'one'")
        await ctx.services["catalog"].reload()
        left = await ctx.readers.fetchall("SELECT key FROM jobs")
        assert [r[0] for r in left] == ["catalog:two"]
        assert ctx.scheduler.get_job("catalog:one") is None
