"""The ``media_scan`` job type: pull the inventory of every media server bound to the job's
library (see :mod:`anibridge_like.mediaservers.inventory`), ownership per canonical episode.

Seed::

    libraries:
      - slug: anime
        jobs:
          - {type: media_scan, name: media nightly, cron: "30 4 * * *"}

Scheduled runs skip bindings that are backing off after a failure; a manual run (run-now)
always tries. A dry run lists the bindings a run would pull and writes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from anibridge_like.jobs.model import BaseJobType, JobContext, JobPlan, JobSummary, RunStatus
from anibridge_like.mediaservers.engine import bound_instances, scan


class MediaScanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[str] | None = Field(
        None, description="Only these media-server instances (default: every one bound)."
    )


class MediaScanSummary(JobSummary):
    complete: list[str] = Field(default_factory=list)
    partial: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    items: int = 0


class MediaScanJob(BaseJobType):
    name: ClassVar[str] = "media_scan"
    config_model: ClassVar[type[BaseModel]] = MediaScanConfig
    summary_model: ClassVar[type[JobSummary]] = MediaScanSummary

    async def _instances(self, ctx: JobContext) -> list[str]:
        config = ctx.config
        assert isinstance(config, MediaScanConfig)
        found = await bound_instances(ctx.app, library=ctx.job.library)
        names = [b.instance.name for b in found]
        return names if config.instances is None else [n for n in names if n in config.instances]

    async def plan(self, ctx: JobContext) -> JobPlan:
        names = await self._instances(ctx)
        return JobPlan(planned=len(names), detail={"instances": names})

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        names = await self._instances(ctx)
        summary = MediaScanSummary(dry_run=dry_run)
        if dry_run:
            summary.complete = names
            summary.message = "would scan: " + (", ".join(names) or "nothing")
            return summary
        for name in names:
            outcomes = await scan(
                ctx.app,
                instance=name,
                library=ctx.job.library,
                force=ctx.trigger == "manual",
                job=ctx.job.name,
            )
            for o in outcomes:
                getattr(summary, o.status).append(f"{o.instance}/{o.library}")
                summary.items += o.items
                if o.error:
                    ctx.log.info("media_scan.binding", instance=o.instance, error=o.error)
        done = summary.complete or summary.partial
        if summary.failed or summary.partial:
            summary.status = RunStatus.PARTIAL if done else RunStatus.FAILED
            summary.message = "; ".join(
                f"{label}: {', '.join(v)}"
                for label, v in (("partial", summary.partial), ("failed", summary.failed))
                if v
            )
        elif not done:
            summary.status = RunStatus.SKIPPED
            summary.message = "nothing bound" if not names else "all backing off"
        return summary
