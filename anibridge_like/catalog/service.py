"""CatalogService: the catalog refresh of every enabled provider instance, run as jobs.

Entered on the application's exit stack (``ctx.services["catalog"] = await
stack.enter_async_context(CatalogService(ctx))``). On entry it recovers from an unclean stop
(:mod:`~anibridge_like.catalog.recovery`), keeps one ``catalog_refresh`` job per provider instance
in step with the instances (:func:`~anibridge_like.catalog.refresh_jobs.sync_instance_jobs`) and
lets the jobs runner (``ctx.jobs``; its own when the context has none) schedule them, and starts
a progress logger. On exit running refreshes are cancelled (their stages go back to ``pending``
and keep resumable staging work; their runs are recorded ``aborted``).

Run ownership, skip-if-running (409), run history and schedules belong to the runner
(:mod:`anibridge_like.jobs.runner`); this service holds what is catalog-specific: the per-site
lock that keeps two instances of one site from working on its catalog at once, the live
progress board, the persisted stage states, and the early runs a stage asks for (a failed
stage's backoff, a failed title's retry, a bootstrap), scheduled as one-shot runs of the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from anibridge_like.catalog.pipeline import (
    build_stages,
    make_run,
    refresh_instance,
    run_summary,
    site_of,
)
from anibridge_like.catalog.recovery import recover
from anibridge_like.catalog.refresh_jobs import sync_instance_jobs
from anibridge_like.catalog.stage import InstanceSpec, Stage, StageResult
from anibridge_like.catalog.state import (
    ProgressBoard,
    StageStatus,
    now_iso,
    parse_iso,
    save_stage,
    utcnow,
)
from anibridge_like.jobs.runner import JobRunner, RunOutcome
from anibridge_like.jobs.store import JobRunningError
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.instances import load_instances
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.provider import Provider

if TYPE_CHECKING:
    from anibridge_like.context import AppContext

log = structlog.get_logger(__name__)

STAGES = ("title", "detail", "canonical")


class CatalogError(Exception):
    """Base of the service's errors (mapped to HTTP answers in api/catalog.py)."""


class UnknownInstanceError(CatalogError, LookupError):
    def __init__(self, instance: str) -> None:
        self.instance = instance
        super().__init__(f"no enabled provider instance named {instance!r}")


class RefreshRunningError(CatalogError):
    def __init__(self, instance: str, run_id: int | None = None) -> None:
        self.instance = instance
        self.run_id = run_id
        super().__init__(f"a refresh of {instance!r} is already running")


class CatalogService:
    """See the module docstring."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        stages: Callable[[], list[Stage]] = build_stages,
        schedule: bool = True,
    ) -> None:
        self.ctx = ctx
        self.board = ProgressBoard()
        self.specs: dict[str, InstanceSpec] = {}
        self.states: dict[tuple[str, str], dict[str, Any]] = {}
        """Persisted stage_state rows, refreshed after every run and progress tick."""
        self.bootstrapping = True
        self._stages = stages
        self._schedule = schedule
        self._job_ids: dict[str, int] = {}
        self._site_locks: dict[str, asyncio.Lock] = {}
        self._logger: asyncio.Task[None] | None = None
        self._stack = AsyncExitStack()
        self._closing = False
        self.runs_finished = 0

    # ---- lifecycle -----------------------------------------------------------------------
    async def __aenter__(self) -> CatalogService:
        recovered = await recover(self.ctx.writer)
        if any(recovered.values()):
            log.warning("catalog.recovered", **recovered)
        self.ctx.services["catalog"] = self
        if self.ctx.plugins is None:
            self.ctx.plugins = PluginManager(self.ctx.registry, self.ctx.http)
        if self.ctx.jobs is None:  # standalone use: a runner of our own
            runner = JobRunner(self.ctx, schedule=self._schedule)
            self.ctx.jobs = await self._stack.enter_async_context(runner)
        self.runner: JobRunner = self.ctx.jobs
        await self.reload()
        self._logger = asyncio.create_task(self._log_progress(), name="catalog-progress")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        tasks: list[asyncio.Future[Any]] = []
        for job_id in self._job_ids.values():
            active = self.runner.task_of(job_id)
            if active is not None:
                active.cancel()
                tasks.append(active)
        if self._logger is not None:
            self._logger.cancel()
            tasks.append(self._logger)
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._stack.aclose()

    async def reload(self) -> None:
        """(Re)load provider instances, their refresh jobs and plugins; (re)schedule."""
        await self.ctx.writer.run(sync_instance_jobs, label="catalog.sync_jobs")
        assert self.ctx.plugins is not None
        await self.ctx.plugins.reload(self.ctx.readers)
        rows = await load_instances(self.ctx.readers, "provider")
        self.specs = {r.name: r for r in rows if r.enabled}
        await self.refresh_states()
        await self.runner.reload()
        self._job_ids = {
            job.instance: job.id
            for job in self.runner.jobs.values()
            if job.type == "catalog_refresh" and job.instance is not None
        }
        now = utcnow()
        for name in self.specs:
            soon = self._earliest_attempt(name, now)
            if soon is not None and name in self._job_ids:
                self.runner.run_at(self._job_ids[name], soon, "startup")

    async def refresh_states(self) -> None:
        rows = await self.ctx.readers.fetchall("SELECT * FROM stage_state")
        self.states = {(r["instance"], r["stage"]): dict(r) for r in rows}
        self.bootstrapping = any(
            not (self.states.get((name, stage)) or {}).get("ready_at")
            for name in self.specs
            for stage in STAGES
        )

    # ---- queries -------------------------------------------------------------------------
    def job_id(self, instance: str) -> int | None:
        """The ``catalog_refresh`` job of ``instance``."""
        return self._job_ids.get(instance)

    def is_running(self, instance: str) -> bool:
        job_id = self._job_ids.get(instance)
        return job_id is not None and self.runner.is_running(job_id)

    def running(self) -> list[str]:
        return sorted(n for n in self._job_ids if self.is_running(n))

    def site(self, instance: str) -> str:
        return site_of(self.specs[instance], self._provider(instance))

    def next_run_at(self, instance: str) -> datetime | None:
        job_id = self._job_ids.get(instance)
        return self.runner.next_fire_time(job_id) if job_id is not None else None

    def _provider(self, instance: str) -> Provider | None:
        plugins = self.ctx.plugins
        if plugins is None or instance not in plugins.names("provider"):
            return None
        plugin: Provider | None = plugins.get(instance, Provider).plugin
        return plugin

    # ---- runs ----------------------------------------------------------------------------
    def trigger(self, instance: str, *, manual: bool = True) -> asyncio.Task[RunOutcome]:
        """Start a refresh of ``instance`` now (a run of its job); the task ends with the run."""
        job_id = self._job_ids.get(instance)
        if instance not in self.specs or job_id is None:
            raise UnknownInstanceError(instance)
        if self._closing:
            raise RefreshRunningError(instance)
        try:
            return self.runner.submit(job_id, "manual" if manual else "cron")
        except JobRunningError as busy:
            raise RefreshRunningError(instance, busy.run_id) from None

    async def start(self, instance: str) -> int:
        """Start a manual refresh of ``instance`` now and return its run id once claimed (the
        refresh route); :class:`RefreshRunningError` carries the active run's id."""
        job_id = self._job_ids.get(instance)
        if instance not in self.specs or job_id is None:
            raise UnknownInstanceError(instance)
        if self._closing:
            raise RefreshRunningError(instance)
        try:
            return await self.runner.run_now(job_id, "manual")
        except JobRunningError as busy:
            raise RefreshRunningError(instance, busy.run_id) from None

    async def wait(self, instance: str) -> None:
        """Wait for the running refresh of ``instance`` (if any) to end."""
        job_id = self._job_ids.get(instance)
        if job_id is not None:
            await self.runner.wait(job_id)

    async def refresh(self, instance: str, *, manual: bool) -> dict[str, StageResult]:
        """One refresh of ``instance``: every stage in order under the site lock (the work of
        a ``catalog_refresh`` run)."""
        spec = self.specs.get(instance)
        if spec is None:
            raise UnknownInstanceError(instance)
        with structlog.contextvars.bound_contextvars(plugin=instance):
            return await self._refresh(spec, manual=manual)

    async def _refresh(self, spec: InstanceSpec, *, manual: bool) -> dict[str, StageResult]:
        instance = spec.name
        bound = log.bind(instance=instance)
        assert self.ctx.plugins is not None
        built = self.ctx.plugins.get(instance, Provider)
        if built.plugin is None:
            error = built.error or PluginError(ErrorCode.NOT_CONFIGURED, "not built")
            await self._not_configured(spec, error)
            return {"title": StageResult(StageStatus.FAILED.value, True, error=error.message)}
        provider = built.plugin
        site = site_of(spec, provider)
        lock = self._site_locks.setdefault(site, asyncio.Lock())
        if lock.locked():
            bound.info("catalog.waiting_for_site", site=site)
        async with lock:
            run = make_run(
                spec,
                provider,
                settings=self.ctx.settings,
                writer=self.ctx.writer,
                readers=self.ctx.readers,
                registry=self.ctx.registry,
                http=self.ctx.http,
                board=self.board,
                manual=manual,
                plugins=self.ctx.plugins,
                serving=self.ctx.serving,
            )
            bound.info("catalog.run_started", site=site, manual=manual)
            results = await refresh_instance(run, self._stages())
        self.runs_finished += 1
        bound.info("catalog.run_finished", **run_summary(results))
        await self.refresh_states()
        self._after_run(spec, results)
        return results

    async def _not_configured(self, spec: InstanceSpec, error: PluginError) -> None:
        log.error("catalog.instance_not_configured", instance=spec.name, error=error.message)

        async def unit(conn: Any) -> None:
            await save_stage(
                conn,
                spec.name,
                "title",
                status=StageStatus.FAILED.value,
                finished_at=now_iso(),
                next_attempt_at=None,
                last_error=f"{error.code.value}: {error.message}",
            )

        await self.ctx.writer.run(unit, label="catalog.not_configured")
        await self.refresh_states()

    # ---- early runs ----------------------------------------------------------------------
    def _earliest_attempt(self, instance: str, now: datetime) -> datetime | None:
        """When this instance needs a run before its regular cadence (bootstrap, retries)."""
        moments: list[datetime] = []
        for stage in STAGES:
            state = self.states.get((instance, stage))
            if state is None:
                moments.append(now)  # never ran: bootstrap
                continue
            next_at = parse_iso(state["next_attempt_at"])
            if state["status"] in (StageStatus.PENDING, StageStatus.RUNNING):
                moments.append(next_at or now)
            elif next_at is not None and not (
                stage == "title" and state["status"] == StageStatus.READY
            ):
                moments.append(next_at)  # a failed stage's backoff or a title's retry
        return max(min(moments), now) if moments else None

    def _after_run(self, spec: InstanceSpec, results: dict[str, StageResult]) -> None:
        wanted = [r.next_attempt_at for r in results.values() if r.next_attempt_at is not None]
        job_id = self._job_ids.get(spec.name)
        if wanted and job_id is not None and not self._closing:
            # not "now": this very run may itself be the retry job, still running for a moment,
            # and the scheduler skips a job that fires while its last run is still running
            soonest = utcnow() + timedelta(seconds=1)
            self.runner.run_at(job_id, max(min(wanted), soonest), "retry")

    # ---- progress lines ------------------------------------------------------------------
    async def _log_progress(self) -> None:
        interval = self.ctx.settings.progress_log_seconds
        while True:
            await asyncio.sleep(interval)
            running = self.board.running()
            if not running:
                continue
            await self.refresh_states()
            writer = self.ctx.writer
            emit = log.info if self.bootstrapping else log.debug
            for progress in running:
                snap = progress.snapshot()
                emit(
                    "catalog.progress",
                    instance=progress.instance,
                    stage=progress.stage,
                    done=progress.done,
                    total=snap["total"],
                    percent=snap["percent"],
                    rate=snap["rate"],
                    eta_seconds=snap["eta_seconds"],
                    queue_depth=snap["queue_depth"],
                    writer_queue=writer.queue_depth,
                    writer_lag_seconds=round(writer.stats.last_lag_seconds, 3),
                    current=snap["current"],
                )
