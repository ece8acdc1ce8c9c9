"""The library jobs admin API through the real application: CRUD with validation paths, run-now
(202 / 409 with the active run's id), run history, seed-managed jobs left to the seed, targeted
reschedule, and /health/catalog showing each job's next fire time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.jobs.registry import JOB_TYPES
from anibridge_like.settings import Settings
from tests.catalog.support import fast_settings, open_app, poll, provider
from tests.fakes import memory_provider
from tests.fakes.memory_provider import register_site
from tests.jobs.support import GateJob, until

KEY = {"X-Api-Key": "adm1n"}
JOBS = "/api/v1/libraries/anime/jobs"


@pytest.fixture(autouse=True)
def _types(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(JOB_TYPES, "test_gate", "tests.jobs.support:GateJob")
    GateJob.gates.clear()
    GateJob.started.clear()
    yield
    for gate in GateJob.gates.values():
        gate.set()
    memory_provider.SITES.clear()


def _seed(jobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "anime", "kind": "anime", "jobs": jobs or []},
            {"slug": "series", "kind": "series"},
        ],
        "plugins": [provider("mem-1", "mem", libraries=["anime"])],
    }


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    register_site("mem", GeneratedCatalog("aniworld", 10, seed=1))
    seeded = [{"name": "sunday", "type": "library_refresh", "cron": "0 4 * * 0"}]
    app_settings = fast_settings(settings, admin_api_key=SecretStr("adm1n"))
    async with open_app(app_settings, _seed(seeded)) as c:
        await poll(c, lambda b: b["complete"])
        yield c


async def test_jobs_need_the_admin_key_and_an_existing_library(client: httpx.AsyncClient) -> None:
    assert (await client.get(JOBS)).status_code == 401
    missing = await client.get("/api/v1/libraries/nope/jobs", headers=KEY)
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    assert (await client.get(JOBS + "/999", headers=KEY)).status_code == 404
    assert (await client.get(JOBS + "/abc", headers=KEY)).status_code == 404


async def test_seed_job_is_listed_with_its_next_sunday_and_refuses_api_edits(
    client: httpx.AsyncClient,
) -> None:
    jobs = (await client.get(JOBS, headers=KEY)).json()["jobs"]
    assert [(j["name"], j["managed_by"], j["type"]) for j in jobs] == [
        ("sunday", "seed", "library_refresh")
    ]
    job = jobs[0]
    assert job["next_run_at"] is not None
    from datetime import datetime

    assert datetime.fromisoformat(job["next_run_at"]).strftime("%a %H:%M") == "Sun 04:00"
    patched = await client.patch(f"{JOBS}/{job['id']}", headers=KEY, json={"enabled": False})
    assert patched.status_code == 409 and "seed" in patched.json()["error"]
    assert (await client.delete(f"{JOBS}/{job['id']}", headers=KEY)).status_code == 409
    health = (await client.get("/health/catalog")).json()
    listed = {j["name"]: j for j in health["jobs"]}
    assert listed["sunday"]["next_run_at"] is not None
    assert listed["catalog refresh mem-1"]["next_run_at"] is not None
    assert health["instances"][0]["next_run_at"] is not None


async def test_create_reports_every_bad_field_with_its_path(client: httpx.AsyncClient) -> None:
    bad = {
        "name": "x",
        "type": "library_refresh",
        "cron": "0 4 * * 9",
        "timezone": "Mars/Olympus",
        "config": {"instances": "all", "surprise": 1},
    }
    answer = await client.post(JOBS, headers=KEY, json=bad)
    assert answer.status_code == 422
    paths = {i["path"] for i in answer.json()["issues"]}
    assert paths == {"cron", "timezone", "config.instances", "config.surprise"}
    unknown = await client.post(JOBS, headers=KEY, json={"name": "y", "type": "nope"})
    assert unknown.status_code == 422 and unknown.json()["issues"][0]["path"] == "type"
    instance_type = await client.post(
        JOBS, headers=KEY, json={"name": "z", "type": "catalog_refresh", "config": {}}
    )
    assert instance_type.status_code == 422
    extra = await client.post(JOBS, headers=KEY, json={"name": "w", "type": "test_gate", "x": 1})
    assert extra.status_code == 422 and extra.json()["issues"][0]["path"] == "x"
    not_json = await client.post(
        JOBS, headers={**KEY, "content-type": "application/json"}, content=b"{"
    )
    assert not_json.status_code == 400


async def test_create_patch_delete_reschedule_only_that_job(client: httpx.AsyncClient) -> None:
    ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
    created = await client.post(
        JOBS,
        headers=KEY,
        json={"name": "gate", "type": "test_gate", "cron": "0 6 * * 1-5", "timezone": "Asia/Tokyo"},
    )
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["managed_by"] == "api" and job["next_run_at"]
    assert (
        await client.post(JOBS, headers=KEY, json={"name": "gate", "type": "test_gate"})
    ).status_code == 409
    seed_job = ctx.scheduler.get_job(f"job:{(await _job(client, 'sunday'))['id']}")
    patched = await client.patch(
        f"{JOBS}/{job['id']}", headers=KEY, json={"cron": "30 7 * * 0", "timezone": None}
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["timezone"] is None and body["cron"] == "30 7 * * 0"
    from datetime import datetime

    fire = datetime.fromisoformat(body["next_run_at"])
    assert fire.strftime("%a %H:%M") == "Sun 07:30"  # ANIBRIDGE_TIMEZONE (UTC) now
    assert ctx.scheduler.get_job(f"job:{(await _job(client, 'sunday'))['id']}") is seed_job
    wrong_type = await client.patch(
        f"{JOBS}/{job['id']}", headers=KEY, json={"type": "library_refresh"}
    )
    assert wrong_type.status_code == 422
    off = await client.patch(f"{JOBS}/{job['id']}", headers=KEY, json={"enabled": False})
    assert off.json()["next_run_at"] is None
    assert (await client.delete(f"{JOBS}/{job['id']}", headers=KEY)).status_code == 204
    assert ctx.scheduler.get_job(f"job:{job['id']}") is None
    assert (await client.get(f"{JOBS}/{job['id']}", headers=KEY)).status_code == 404


async def _job(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    jobs = (await client.get(JOBS, headers=KEY)).json()["jobs"]
    return next(j for j in jobs if j["name"] == name)


async def test_run_now_answers_202_then_409_with_the_active_run_and_keeps_history(
    client: httpx.AsyncClient,
) -> None:
    created = (
        await client.post(JOBS, headers=KEY, json={"name": "gate", "type": "test_gate"})
    ).json()
    assert created["next_run_at"] is None  # no cron: on demand only
    run = await client.post(f"{JOBS}/{created['id']}/run", headers=KEY)
    assert run.status_code == 202
    run_id = run.json()["run_id"]
    await until(lambda: GateJob.started["default"] == 1)
    again = await client.post(f"{JOBS}/{created['id']}/run", headers=KEY)
    assert again.status_code == 409 and again.json()["run_id"] == run_id
    GateJob.gates["default"].set()
    ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
    await ctx.jobs.wait(created["id"])
    runs = (await client.get(f"{JOBS}/{created['id']}/runs", headers=KEY)).json()["runs"]
    assert [(r["id"], r["status"], r["trigger"]) for r in runs] == [(run_id, "success", "manual")]
    assert runs[0]["summary"]["runs"] == 1 and runs[0]["finished_at"]
    assert (
        await client.get(f"{JOBS}/{created['id']}/runs?limit=0", headers=KEY)
    ).status_code == 400
    listed = await _job(client, "gate")
    assert listed["last_run_status"] == "success" and listed["last_run_at"]


async def test_library_refresh_runs_the_catalog_refresh_of_each_instance_in_scope(
    client: httpx.AsyncClient,
) -> None:
    ctx = client._transport.app.state.ctx  # type: ignore[attr-defined]
    job = await _job(client, "sunday")
    dry = await client.post(f"{JOBS}/{job['id']}/run", headers=KEY, json={"dry_run": True})
    assert dry.status_code == 202
    await ctx.jobs.wait(job["id"])
    run = await client.post(f"{JOBS}/{job['id']}/run", headers=KEY)
    assert run.status_code == 202
    await ctx.jobs.wait(job["id"])
    runs = (await client.get(f"{JOBS}/{job['id']}/runs", headers=KEY)).json()["runs"]
    assert runs[0]["status"] == "success" and runs[0]["summary"]["started"] == ["mem-1"]
    assert runs[1]["summary"]["dry_run"] is True and runs[1]["summary"]["started"] == ["mem-1"]
    catalog_job = ctx.services["catalog"].job_id("mem-1")
    rows = await ctx.readers.fetchall(
        "SELECT trigger, status, summary FROM job_runs WHERE job_id = ? ORDER BY id", (catalog_job,)
    )
    assert [r[1] for r in rows][-1] == "success"
    assert rows[-1][0] == "manual" and '"title"' in rows[-1][2]
    await asyncio.sleep(0)
