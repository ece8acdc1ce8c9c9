"""``wanted_sync`` and ``recommendations_refresh`` as library jobs on the jobs runner: seeded from
the library's ``jobs:``, run with history and summaries, dry runs that write nothing."""

from __future__ import annotations

from typing import Any

from anibridge_like.context import AppContext
from anibridge_like.jobs.model import RunStatus
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.recommendation import Candidate
from anibridge_like.plugins.sync import ExternalIds, SyncResult, WantedItem
from anibridge_like.settings import Settings
from tests.jobs.support import running
from tests.sync.support import PLANS, RECS, running_app, script
from tests.sync.test_runner import catalog

JOBS = [
    {"name": "wanted hourly", "type": "wanted_sync", "cron": "5 * * * *"},
    {"name": "recs nightly", "type": "recommendations_refresh", "cron": "0 3 * * 0"},
]
PLUGINS = [
    script("a", "p", ["anime"]),
    script("b", "q", ["anime"]),
    script("r", "rec", ["anime"], "recommendation"),
]


def entry(key: int) -> WantedItem:
    return WantedItem(f"tvdb:{key}", ExternalIds(tvdb=key), f"S{key}", 2020, "series", "wanted")


async def job_id(ctx: AppContext, name: str) -> int:
    row = await ctx.readers.fetchone("SELECT id FROM jobs WHERE name = ?", (name,))
    assert row is not None
    return int(row[0])


async def test_wanted_sync_job_runs_every_instance_and_records_a_summary(
    settings: Settings,
) -> None:
    async with running_app(settings, catalog(), PLUGINS, jobs=JOBS) as (ctx, _):
        PLANS["p"] = [SyncResult([entry(424536), entry(9)])]
        PLANS["q"] = [PluginError(ErrorCode.AUTH, "401")]
        async with running(ctx) as runner:
            wanted = await job_id(ctx, "wanted hourly")
            preview = await runner.submit(wanted, "manual", dry_run=True)
            assert preview.summary is not None
            dry: Any = preview.summary
            assert [p["new"] for p in dry.preview] == [["tvdb:424536", "tvdb:9"], []]
            assert await ctx.readers.fetchall("SELECT * FROM wanted_items") == []
            outcome = await runner.submit(wanted, "manual")
            assert outcome.status is RunStatus.PARTIAL
            summary: Any = outcome.summary
            assert summary.synced == ["a"] and summary.stored == 2 and "b" in summary.failed
            history = await ctx.readers.fetchall(
                "SELECT status FROM job_runs WHERE job_id = ? ORDER BY id", (wanted,)
            )
            assert [r[0] for r in history] == ["success", "partial"]


async def test_recommendations_job_refreshes_the_library(settings: Settings) -> None:
    async with running_app(settings, catalog(), PLUGINS, jobs=JOBS) as (ctx, _):
        RECS["rec"] = [
            Candidate("anilist:1", ExternalIds(tvdb=424536), "Frieren", 2023, "series", 1.0,
                      "because", ("Other",)),
            Candidate("anilist:2", ExternalIds(tvdb=31337), "Nope", 2023, "series", 0.5, "x"),
        ]  # fmt: skip
        async with running(ctx) as runner:
            recs = await job_id(ctx, "recs nightly")
            outcome = await runner.submit(recs, "manual")
            assert outcome.status is RunStatus.SUCCESS
            summary: Any = outcome.summary
            assert summary.refreshed == {"r": 1} and summary.candidates == 2
        rows = await ctx.readers.fetchall("SELECT work_id FROM recommendations")
        assert [r[0] for r in rows] == ["tvdb:424536"]
