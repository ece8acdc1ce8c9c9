"""Catalog refresh as job types (registered in :data:`anibridge_like.jobs.registry.JOB_TYPES`).

* ``catalog_refresh`` — one provider instance's pipeline (title → detail → canonical). One job
  per provider instance, derived from it (``jobs.key = catalog:<instance>``; cadence from the
  instance's ``refresh_cron`` / ``refresh_interval_hours``, default
  ``ANIBRIDGE_REFRESH_INTERVAL_HOURS``) and kept in step by :func:`sync_instance_jobs`. The work
  itself is :meth:`anibridge_like.catalog.service.CatalogService.refresh`.
* ``library_refresh`` — a library job (seed ``jobs:`` / admin API): starts the
  ``catalog_refresh`` run of every enabled provider instance in the library's scope and waits for
  them; an instance already refreshing is counted as skipped.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import aiosqlite
from pydantic import BaseModel, ConfigDict, Field

from anibridge_like.jobs.model import (
    BaseJobType,
    JobContext,
    JobPlan,
    JobRow,
    JobSummary,
    RunStatus,
)
from anibridge_like.jobs.store import JobRunningError
from anibridge_like.libraries.scope import in_scope
from anibridge_like.plugins.instances import load_instances
from anibridge_like.storage.timestamps import iso, now_iso, parse_iso, utcnow

if TYPE_CHECKING:
    from anibridge_like.catalog.stage import StageResult
    from anibridge_like.context import AppContext

INSTANCE_KEY = "catalog:{}"


def instance_key(instance: str) -> str:
    return INSTANCE_KEY.format(instance)


class CatalogRefreshConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: str = Field(description="The provider instance whose catalog is refreshed.")


class CatalogRefreshSummary(JobSummary):
    stages: dict[str, str] = Field(default_factory=dict)
    """Each stage's status after the run (``ready``, ``failed``, ``backing_off`` …)."""
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Each stage's ``persisted`` / ``failed`` items as recorded after the run."""
    notes: dict[str, str] = Field(default_factory=dict)
    """Each stage's recorded error or remark after the run (a failed title, a backoff)."""
    retry_at: dict[str, str] = Field(default_factory=dict)
    """Stages that asked for an early attempt, and when (ISO UTC)."""


class CatalogRefresher(Protocol):
    """What these job types use of :class:`anibridge_like.catalog.service.CatalogService`
    (``ctx.services["catalog"]``; typed here so ``jobs`` does not import the service)."""

    states: dict[tuple[str, str], dict[str, Any]]

    async def refresh(self, instance: str, *, manual: bool) -> dict[str, StageResult]: ...


def _service(app: AppContext) -> CatalogRefresher:
    service: CatalogRefresher | None = app.services.get("catalog")
    if service is None:
        raise RuntimeError("the catalog service is not running")
    return service


class CatalogRefreshJob(BaseJobType):
    name: ClassVar[str] = "catalog_refresh"
    config_model: ClassVar[type[BaseModel]] = CatalogRefreshConfig
    summary_model: ClassVar[type[JobSummary]] = CatalogRefreshSummary

    async def first_fire(self, app: AppContext, job: JobRow) -> datetime | None:
        """An interval refresh is due one interval after the last promoted listing (at once,
        plus a second, when that moment passed while the process was down)."""
        instance = CatalogRefreshConfig.model_validate(job.config).instance
        row = await app.readers.fetchone(
            "SELECT finished_at, live_generation FROM stage_state"
            " WHERE instance = ? AND stage = 'title'",
            (instance,),
        )
        now = utcnow()
        last = parse_iso(row["finished_at"]) if row is not None and row["live_generation"] else None
        hours = job.interval_hours or app.settings.refresh_interval_hours
        return max(now + timedelta(seconds=1), (last or now) + timedelta(hours=hours))

    async def plan(self, ctx: JobContext) -> JobPlan:
        config = ctx.config
        assert isinstance(config, CatalogRefreshConfig)
        service = _service(ctx.app)
        states = {
            stage: (service.states.get((config.instance, stage)) or {}).get("status", "pending")
            for stage in ("title", "detail", "canonical")
        }
        return JobPlan(planned=len(states), detail={"instance": config.instance, "stages": states})

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        config = ctx.config
        assert isinstance(config, CatalogRefreshConfig)
        if dry_run:
            plan = await self.plan(ctx)
            return CatalogRefreshSummary(
                status=RunStatus.SUCCESS, dry_run=True, stages=plan.detail["stages"]
            )
        service = _service(ctx.app)
        results = await service.refresh(config.instance, manual=ctx.trigger == "manual")
        recorded = {name: service.states.get((config.instance, name)) or {} for name in results}
        stages = {
            name: r.status + (" (skipped)" if r.skipped else "") for name, r in results.items()
        }
        errors = [f"{name}: {r.error}" for name, r in results.items() if r.error]
        if not errors:
            status = RunStatus.SUCCESS
        elif any(r.blocks_following for r in results.values()):
            status = RunStatus.FAILED
        else:
            status = RunStatus.PARTIAL
        return CatalogRefreshSummary(
            status=status,
            message="; ".join(errors) or None,
            stages=stages,
            counts={
                name: {
                    "persisted": int(row.get("persisted") or 0),
                    "failed": int(row.get("failed") or 0),
                }
                for name, row in recorded.items()
            },
            notes={
                name: row["last_error"] for name, row in recorded.items() if row.get("last_error")
            },
            retry_at={
                name: iso_text
                for name, r in results.items()
                if (iso_text := iso(r.next_attempt_at)) is not None
            },
        )


async def sync_instance_jobs(conn: aiosqlite.Connection) -> bool:
    """Writer unit: one ``catalog_refresh`` job per provider instance, matching its enabled flag
    and cadence (jobs of removed instances go with them by cascade). True when anything changed."""
    instances = await load_instances(conn, "provider")
    current = {
        r["key"]: tuple(r)[1:]
        for r in await conn.execute_fetchall(
            "SELECT key, instance_id, cron, interval_hours, enabled FROM jobs"
            " WHERE type = 'catalog_refresh' AND key IS NOT NULL"
        )
    }
    changed = False
    stamp = now_iso()
    for inst in instances:
        key = instance_key(inst.name)
        wanted = (inst.id, inst.refresh_cron, inst.refresh_interval_hours, int(inst.enabled))
        if current.get(key) == wanted:
            continue
        changed = True
        await conn.execute(
            "INSERT INTO jobs(key, instance_id, type, name, cron, interval_hours, enabled, config,"
            " managed_by, created_at, updated_at)"
            " VALUES (?, ?, 'catalog_refresh', ?, ?, ?, ?, ?, 'instance', ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET instance_id = excluded.instance_id,"
            " cron = excluded.cron, interval_hours = excluded.interval_hours,"
            " enabled = excluded.enabled, updated_at = excluded.updated_at",
            (
                key,
                inst.id,
                f"catalog refresh {inst.name}",
                inst.refresh_cron,
                inst.refresh_interval_hours,
                int(inst.enabled),
                CatalogRefreshConfig(instance=inst.name).model_dump_json(),
                stamp,
                stamp,
            ),
        )
    return changed


class LibraryRefreshConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[str] | None = Field(
        None, description="Only these provider instances (default: every one in scope)."
    )


class LibraryRefreshSummary(JobSummary):
    started: list[str] = Field(default_factory=list)
    skipped_running: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)


class LibraryRefreshJob(BaseJobType):
    name: ClassVar[str] = "library_refresh"
    config_model: ClassVar[type[BaseModel]] = LibraryRefreshConfig
    summary_model: ClassVar[type[JobSummary]] = LibraryRefreshSummary

    async def _targets(self, ctx: JobContext) -> list[str]:
        config = ctx.config
        assert isinstance(config, LibraryRefreshConfig)
        slug = ctx.job.library or ""
        rows = await load_instances(ctx.app.readers, "provider")
        names = [r.name for r in rows if r.enabled and in_scope(r.libraries, slug)]
        if config.instances is not None:
            names = [n for n in names if n in config.instances]
        return names

    async def plan(self, ctx: JobContext) -> JobPlan:
        targets = await self._targets(ctx)
        return JobPlan(planned=len(targets), detail={"instances": targets})

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        targets = await self._targets(ctx)
        if dry_run:
            return LibraryRefreshSummary(dry_run=True, started=targets)
        runner = ctx.app.jobs
        if runner is None:
            raise RuntimeError("the jobs runner is not running")
        by_key = {job.key: job.id for job in runner.jobs.values() if job.key}
        summary = LibraryRefreshSummary()
        tasks: dict[str, asyncio.Task[Any]] = {}
        for name in targets:
            job_id = by_key.get(instance_key(name))
            if job_id is None:
                summary.failed.append(name)
                continue
            try:
                tasks[name] = runner.submit(job_id, ctx.trigger)
            except JobRunningError:
                summary.skipped_running.append(name)
                continue
            summary.started.append(name)
        for name, task in tasks.items():
            outcome = await task
            if outcome.status in (RunStatus.FAILED, RunStatus.ABORTED):
                summary.failed.append(name)
        if summary.failed:
            summary.status = (
                RunStatus.FAILED
                if not set(summary.started) - set(summary.failed)
                else RunStatus.PARTIAL
            )
            summary.message = f"failed: {', '.join(summary.failed)}"
        elif not summary.started:
            summary.status = RunStatus.SKIPPED
            summary.message = "no provider instance to refresh" if not targets else "all running"
        return summary
