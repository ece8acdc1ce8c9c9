"""``wanted_sync`` as a library job type (registered in :data:`anibridge_like.jobs.registry.
JOB_TYPES`): sync every enabled sync instance serving the library, one after another.

A run's status: ``success`` when every instance synced (completely or resumably), ``partial``
when some failed or were paused, ``failed`` when all failed, ``skipped`` when none was due (paused
or disconnected instances are skipped on cron ticks; a manual run calls them anyway). The dry run
lists every instance's whole list and reports what would be new, changed and removed, writing
nothing (:func:`anibridge_like.sync.runner.preview_sync`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from anibridge_like.jobs.model import BaseJobType, JobContext, JobPlan, JobSummary, RunStatus
from anibridge_like.sync.runner import preview_sync, sync_instance
from anibridge_like.sync.scope import instances_serving, library_by_slug


class InstancesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[str] | None = Field(
        None, description="Only these instances (default: every enabled one serving the library)."
    )


class WantedSyncSummary(JobSummary):
    synced: list[str] = Field(default_factory=list)
    stored: int = 0
    removed: int = 0
    failed: dict[str, str] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)
    preview: list[dict[str, Any]] = Field(default_factory=list)
    """Dry run: per instance, the entries that would be new, changed and removed."""


async def targets(ctx: JobContext, kind: str) -> list[str]:
    """The enabled ``kind`` instances serving the job's library (narrowed by the config)."""
    library = await library_by_slug(ctx.app.readers, ctx.job.library or "")
    if library is None:
        return []
    names = await instances_serving(ctx.app.readers, library.id, kind)
    config = ctx.config
    assert isinstance(config, InstancesConfig)
    return [n for n in names if config.instances is None or n in config.instances]


def outcome(summary: JobSummary, done: int, failed: int, total: int) -> None:
    """Set the run's status from how many instances succeeded and failed."""
    if total == 0 or (done == 0 and failed == 0):
        summary.status = RunStatus.SKIPPED
        summary.message = "no instance serves the library" if total == 0 else "none was due"
    elif failed and done == 0:
        summary.status = RunStatus.FAILED
    elif failed:
        summary.status = RunStatus.PARTIAL


class WantedSyncJob(BaseJobType):
    name: ClassVar[str] = "wanted_sync"
    config_model: ClassVar[type[BaseModel]] = InstancesConfig
    summary_model: ClassVar[type[JobSummary]] = WantedSyncSummary

    async def plan(self, ctx: JobContext) -> JobPlan:
        names = await targets(ctx, "sync")
        return JobPlan(planned=len(names), detail={"instances": names})

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        slug = ctx.job.library or ""
        names = await targets(ctx, "sync")
        summary = WantedSyncSummary(dry_run=dry_run)
        if dry_run:
            for name in names:
                preview = await preview_sync(ctx.app, name, slug)
                summary.preview.append(
                    {
                        "instance": name,
                        "listed": preview.listed,
                        "complete": preview.complete,
                        "new": preview.new,
                        "changed": preview.changed,
                        "removed": preview.removed,
                        "error": preview.error,
                    }
                )
            return summary
        failed = 0
        for name in names:
            run = await sync_instance(
                ctx.app, name, slug, manual=ctx.trigger == "manual", job=ctx.job.name
            )
            if run.status == "skipped":
                summary.skipped[name] = run.detail or "skipped"
            elif run.status in ("ok", "partial") and run.error_code is None:
                summary.synced.append(name)
            else:
                failed += 1
                summary.failed[name] = f"{run.status}: {run.error_code}: {run.detail}"
            summary.stored += run.stored
            summary.removed += run.removed
        outcome(summary, len(summary.synced), failed, len(names))
        if summary.failed:
            summary.message = "; ".join(f"{k}: {v}" for k, v in summary.failed.items())[:500]
        return summary
