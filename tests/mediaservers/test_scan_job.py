"""The ``media_scan`` job type on the jobs runner: seeded per library, run now (and dry), its
summary in the run history, its config checked by the seed with YAML paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import SeedError, parse_seed
from anibridge_like.settings import Settings
from tests.mediaservers.index import TITAN, add_titles

KEY = {"X-Api-Key": "adm"}
JOBS = "/api/v1/libraries/anime/jobs"


def _seed(disk: Path, job_config: dict[str, Any] | None = None) -> dict[str, Any]:
    job = {"type": "media_scan", "name": "scan", "cron": "30 4 * * *", "config": job_config or {}}
    return {
        "libraries": [{"slug": "anime", "kind": "anime", "jobs": [job]}],
        "plugins": [
            {
                "name": "disk",
                "implementation": "filesystem",
                "kind": "media_server",
                "config": {"libraries": {"anime": str(disk)}},
            }
        ],
    }


@pytest.fixture
async def client(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    disk = tmp_path / "anime"
    season = disk / "Attack on Titan (2013) {tvdb-267440}" / "Season 01"
    season.mkdir(parents=True)
    for n in (1, 2, 3):
        (season / f"Attack on Titan - S01E{n:02d}.mkv").write_bytes(b"")
    registry = Registry()
    app = create_app(
        settings.model_copy(update={"admin_api_key": SecretStr("adm")}),
        seed=parse_seed(_seed(disk), registry, environ={}),
        registry=registry,
    )
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        await add_titles(ctx.writer, [TITAN])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c, ctx


async def _owned(ctx: Any) -> int:
    row = await ctx.readers.fetchone("SELECT count(*) FROM media_ownership WHERE state = 'owned'")
    return int(row[0])


async def test_media_scan_runs_now_dry_and_for_real(
    client: tuple[httpx.AsyncClient, Any],
) -> None:
    c, ctx = client
    [job] = (await c.get(JOBS, headers=KEY)).json()["jobs"]
    assert job["type"] == "media_scan" and job["next_run_at"] is not None
    dry = await c.post(f"{JOBS}/{job['id']}/run", headers=KEY, json={"dry_run": True})
    assert dry.status_code == 202
    await ctx.jobs.wait(job["id"])
    assert await _owned(ctx) == 0  # a dry run writes nothing
    run = await c.post(f"{JOBS}/{job['id']}/run", headers=KEY)
    assert run.status_code == 202
    await ctx.jobs.wait(job["id"])
    runs = (await c.get(f"{JOBS}/{job['id']}/runs", headers=KEY)).json()["runs"]
    real, dry_run = runs[0], runs[1]
    assert dry_run["summary"]["dry_run"] is True
    assert dry_run["summary"]["message"] == "would scan: disk"
    assert real["status"] == "success", real
    assert real["summary"]["complete"] == ["disk/anime"] and real["summary"]["items"] == 3
    assert await _owned(ctx) == 3


def test_media_scan_config_is_checked_with_its_yaml_path(tmp_path: Path) -> None:
    with pytest.raises(SeedError) as err:
        parse_seed(_seed(tmp_path, {"instance": "disk"}), Registry(), environ={})
    assert [i.path for i in err.value.issues] == ["libraries[0].jobs[0].config.instance"]
