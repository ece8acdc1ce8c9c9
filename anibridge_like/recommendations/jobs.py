"""``recommendations_refresh`` as a library job type (registered in
:data:`anibridge_like.jobs.registry.JOB_TYPES`): refresh every enabled recommendation instance
serving the library. A failed instance keeps its previous list (served as cached). The dry run
asks each instance and resolves its candidates without storing them."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from anibridge_like.jobs.model import BaseJobType, JobContext, JobPlan, JobSummary
from anibridge_like.recommendations.refresh import refresh_instance
from anibridge_like.sync.jobs import InstancesConfig, outcome, targets


class RecommendationsSummary(JobSummary):
    refreshed: dict[str, int] = Field(default_factory=dict)
    """Instance → works kept (indexed in the library)."""
    candidates: int = 0
    failed: dict[str, str] = Field(default_factory=dict)


class RecommendationsRefreshJob(BaseJobType):
    name: ClassVar[str] = "recommendations_refresh"
    config_model: ClassVar[type[BaseModel]] = InstancesConfig
    summary_model: ClassVar[type[JobSummary]] = RecommendationsSummary

    async def plan(self, ctx: JobContext) -> JobPlan:
        names = await targets(ctx, "recommendation")
        return JobPlan(planned=len(names), detail={"instances": names})

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        slug = ctx.job.library or ""
        names = await targets(ctx, "recommendation")
        summary = RecommendationsSummary(dry_run=dry_run)
        for name in names:
            run = await refresh_instance(ctx.app, name, slug, dry_run=dry_run, job=ctx.job.name)
            if run.status in ("ok", "dry_run"):
                summary.refreshed[name] = run.kept
                summary.candidates += run.candidates
            else:
                summary.failed[name] = run.error or run.status
        outcome(summary, len(summary.refreshed), len(summary.failed), len(names))
        if summary.failed:
            summary.message = "; ".join(f"{k}: {v}" for k, v in summary.failed.items())[:500]
        return summary
