"""The ``metadata_refresh`` job type: refresh a library's canonical works from metadata
instances, in the chosen field groups, through the one writer in batches.

Seed::

    libraries:
      - slug: anime
        jobs:
          - name: metadata nightly
            type: metadata_refresh
            cron: "15 3 * * *"
            config:
              instances: [skyhook, anilist]
              field_groups: [ids, titles, episodes, status, descriptive, artwork]
              overrides: {anilist: {field_groups: [genres, ratings]}}
              existing_ids_only: true
              skip_recently_synced_hours: 12
              max_concurrency: 2

``plan()`` is :func:`~.planner.plan` (read-only); a run fetches every planned pair
(:mod:`.refresh`), writes each batch of ``BATCH`` works in one writer unit, and reports per
field group how many fields were added, changed, unchanged, skipped and failed. A dry run (the
runner's ``{"dry_run": true}``) makes the same calls and writes nothing; the dry-run API
(:mod:`.dry_run`) previews a sample with before → after.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, Field

from anibridge_like.jobs.model import BaseJobType, JobContext, JobPlan, JobSummary, RunStatus
from anibridge_like.libraries.model import Library
from anibridge_like.storage.timestamps import now_iso, utcnow
from anibridge_like.works.planner import RefreshPlan, plan
from anibridge_like.works.refresh import Caller, Totals, refresh_work
from anibridge_like.works.refresh_config import MetadataRefreshConfig
from anibridge_like.works.store import apply_unit, load_works

if TYPE_CHECKING:
    from anibridge_like.context import AppContext

BATCH = 200
"""Works fetched and written per writer unit."""


class MetadataRefreshSummary(JobSummary):
    planned: int = 0
    """Works with at least one pair to refresh."""
    works_in_library: int = 0
    refreshed: int = 0
    failed: int = 0
    requests: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    """(work, instance) pairs skipped, by reason."""
    groups: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Per field group: added, changed, unchanged, skipped, failed (fields of works)."""
    plan_failure: str | None = None


async def library_id(app: AppContext, slug: str) -> int | None:
    row = await app.readers.fetchone("SELECT id FROM libraries WHERE slug = ?", (slug,))
    return None if row is None else int(row[0])


async def make_plan(
    app: AppContext,
    library: Library,
    config: MetadataRefreshConfig,
    only: list[str] | None = None,
) -> RefreshPlan:
    lib_id = await library_id(app, library.slug)
    assert lib_id is not None, library.slug
    return await plan(app.readers, app.plugins, library, lib_id, config, utcnow(), only=only)


async def execute(
    app: AppContext,
    library: Library,
    config: MetadataRefreshConfig,
    refresh_plan: RefreshPlan,
    *,
    job: str,
    write: bool,
) -> tuple[Totals, int]:
    """Fetch and diff every planned work; with ``write`` apply each batch through the writer.
    Returns the totals and the number of plugin calls."""
    assert app.plugins is not None
    call = Caller(app.plugins, library, job, config.max_concurrency)
    totals = Totals()
    for start in range(0, len(refresh_plan.works), BATCH):
        batch = refresh_plan.works[start : start + BATCH]
        before = await load_works(app.readers, [w.key for w in batch])
        results = await asyncio.gather(
            *(refresh_work(call, refresh_plan.sources, w, before.get(w.key)) for w in batch)
        )
        for r in results:
            totals.add(r)
        updates = [u for r in results if (u := r.update()) is not None]
        if write and updates:
            await app.writer.run(apply_unit(updates, now_iso()), label="works.refresh")
    return totals, call.requests


class MetadataRefreshJob(BaseJobType):
    name: ClassVar[str] = "metadata_refresh"
    config_model: ClassVar[type[BaseModel]] = MetadataRefreshConfig
    summary_model: ClassVar[type[JobSummary]] = MetadataRefreshSummary

    async def plan(self, ctx: JobContext) -> JobPlan:
        config = ctx.config
        assert isinstance(config, MetadataRefreshConfig) and ctx.library is not None
        found = await make_plan(ctx.app, ctx.library, config)
        return JobPlan(
            planned=len(found.works),
            skipped=dict(found.skipped),
            plan_failure=found.failure.value if found.failure else None,
            detail={"works": found.total_works, "pairs": found.pairs(), "error": found.message},
        )

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        config = ctx.config
        assert isinstance(config, MetadataRefreshConfig)
        summary = MetadataRefreshSummary(dry_run=dry_run)
        if ctx.library is None:
            summary.status, summary.message = RunStatus.FAILED, "the job's library is gone"
            return summary
        found = await make_plan(ctx.app, ctx.library, config)
        summary.skipped = dict(found.skipped)
        summary.works_in_library = found.total_works
        summary.planned = len(found.works)
        if found.failure is not None:
            summary.plan_failure = found.failure.value
            summary.status, summary.message = RunStatus.FAILED, found.message
            return summary
        totals, requests = await execute(
            ctx.app, ctx.library, config, found, job=ctx.job.name, write=not dry_run
        )
        summary.refreshed, summary.failed, summary.requests = (
            totals.refreshed,
            totals.failed,
            requests,
        )
        for reason, count in totals.skipped.items():
            summary.skipped[reason] = summary.skipped.get(reason, 0) + count
        summary.groups = {g: asdict(c) for g, c in totals.groups.items()}
        if not found.works:
            summary.status = RunStatus.SKIPPED
            summary.message = "nothing to refresh" + _reasons(summary.skipped)
        elif totals.failed and not totals.refreshed:
            summary.status, summary.message = RunStatus.FAILED, "; ".join(totals.errors)
        elif totals.failed:
            summary.status = RunStatus.PARTIAL
            summary.message = f"{totals.failed} work(s) failed: " + "; ".join(totals.errors)
        else:
            changed = sum(c.added + c.changed for c in totals.groups.values())
            verb = "would change" if dry_run else "changed"
            summary.message = f"{totals.refreshed} work(s) refreshed, {verb} {changed} field(s)"
        ctx.log.info(
            "metadata_refresh.done",
            planned=summary.planned,
            refreshed=summary.refreshed,
            failed=summary.failed,
            requests=requests,
            dry_run=dry_run,
        )
        return summary


def _reasons(skipped: dict[str, int]) -> str:
    if not skipped:
        return ""
    return " (skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) + ")"
