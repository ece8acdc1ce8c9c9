"""CatalogService: owns the catalog refreshes of every enabled provider instance.

Entered on the application's exit stack (``ctx.services["catalog"] = await
stack.enter_async_context(CatalogService(ctx))``). On entry it recovers from an unclean stop
(:mod:`~anibridge_like.catalog.recovery`), loads the provider instances reconciled from the seed,
registers one APScheduler job per enabled instance (interval or cron from the seed, default
``refresh_interval_hours``; ``max_instances=1``, ``coalesce``) and starts a progress logger. On
exit it removes its jobs, cancels running refreshes (their stages go back to ``pending`` and keep
resumable staging work) and waits for them.

Runs are tasks owned by the service. Two runs of one instance never overlap (a second request is
refused with :class:`RefreshRunningError`), and a per-site lock keeps two instances of one site
from working on its catalog at once. When a run ends with a stage wanting another attempt before
the next regular run (a failed stage's backoff, a failed title's retry), a one-shot job is
scheduled for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from anibridge_like.catalog.pipeline import (
    build_provider,
    build_stages,
    make_run,
    refresh_instance,
    run_summary,
    site_of,
)
from anibridge_like.catalog.recovery import recover
from anibridge_like.catalog.stage import InstanceSpec, Stage, StageResult, interval_hours
from anibridge_like.catalog.state import (
    ProgressBoard,
    StageStatus,
    iso,
    now_iso,
    parse_iso,
    save_stage,
    utcnow,
)
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.instances import load_instances
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
    def __init__(self, instance: str) -> None:
        self.instance = instance
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
        self._providers: dict[str, Provider] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._site_locks: dict[str, asyncio.Lock] = {}
        self._logger: asyncio.Task[None] | None = None
        self._closing = False
        self.runs_finished = 0

    # ---- lifecycle -----------------------------------------------------------------------
    async def __aenter__(self) -> CatalogService:
        recovered = await recover(self.ctx.writer)
        if any(recovered.values()):
            log.warning("catalog.recovered", **recovered)
        await self.reload()
        self._logger = asyncio.create_task(self._log_progress(), name="catalog-progress")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        for name in list(self.specs):
            self._remove_jobs(name)
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        if self._logger is not None:
            self._logger.cancel()
            tasks.append(self._logger)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()

    async def reload(self) -> None:
        """(Re)load provider instances from the database and (re)register their jobs."""
        rows = await load_instances(self.ctx.readers, "provider")
        specs = {r.name: r for r in rows if r.enabled}
        for name in set(self.specs) - set(specs):
            self._remove_jobs(name)
            self._providers.pop(name, None)
        self.specs = specs
        await self.refresh_states()
        if self._schedule:
            for spec in specs.values():
                self._register(spec)

    async def refresh_states(self) -> None:
        rows = await self.ctx.readers.fetchall("SELECT * FROM stage_state")
        self.states = {(r["instance"], r["stage"]): dict(r) for r in rows}
        self.bootstrapping = any(
            not (self.states.get((name, stage)) or {}).get("ready_at")
            for name in self.specs
            for stage in STAGES
        )

    # ---- queries -------------------------------------------------------------------------
    def is_running(self, instance: str) -> bool:
        task = self._running.get(instance)
        return task is not None and not task.done()

    def running(self) -> list[str]:
        return sorted(n for n in self._running if self.is_running(n))

    def site(self, instance: str) -> str:
        spec = self.specs[instance]
        return site_of(spec, self._providers.get(instance))

    # ---- runs ----------------------------------------------------------------------------
    def trigger(self, instance: str, *, manual: bool = True) -> asyncio.Task[None]:
        """Start a refresh of ``instance`` now; the returned task ends with the run."""
        if instance not in self.specs:
            raise UnknownInstanceError(instance)
        if self.is_running(instance):
            raise RefreshRunningError(instance)
        if self._closing:
            raise RefreshRunningError(instance)
        task = asyncio.create_task(self._run(instance, manual), name=f"catalog:{instance}")
        self._running[instance] = task
        task.add_done_callback(lambda t, n=instance: self._done(n, t))  # type: ignore[misc]
        return task

    async def wait(self, instance: str) -> None:
        """Wait for the running refresh of ``instance`` (if any) to end."""
        task = self._running.get(instance)
        if task is not None:
            await asyncio.shield(task)

    def _done(self, instance: str, task: asyncio.Task[None]) -> None:
        if self._running.get(instance) is task:
            del self._running[instance]
        if not task.cancelled() and task.exception() is not None:
            log.error("catalog.run_crashed", instance=instance, error=repr(task.exception()))

    async def _fire(self, instance: str) -> None:
        """Scheduler job: start a run unless one is going on."""
        try:
            self.trigger(instance, manual=False)
        except RefreshRunningError:
            log.info("catalog.run_skipped_running", instance=instance)
        except UnknownInstanceError:
            self._remove_jobs(instance)

    async def _run(self, instance: str, manual: bool) -> None:
        spec = self.specs[instance]
        bound = log.bind(instance=instance)
        try:
            provider = self._providers.get(instance) or build_provider(
                self.ctx.registry, spec, self.ctx.http
            )
        except PluginError as error:
            await self._not_configured(spec, error)
            return
        self._providers[instance] = provider
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
            )
            bound.info("catalog.run_started", site=site, manual=manual)
            results = await refresh_instance(run, self._stages())
        self.runs_finished += 1
        bound.info("catalog.run_finished", **run_summary(results))
        await self.refresh_states()
        self._after_run(spec, results)

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

    # ---- scheduling ----------------------------------------------------------------------
    def _job_id(self, instance: str, retry: bool = False) -> str:
        return f"catalog:{instance}" + (":retry" if retry else "")

    def _register(self, spec: InstanceSpec) -> None:
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        settings = self.ctx.settings
        now = utcnow()
        trigger: Any
        first: datetime | None = None
        title = self.states.get((spec.name, "title")) or {}
        last = parse_iso(title.get("finished_at")) if title.get("live_generation") else None
        if spec.refresh_cron:
            trigger = CronTrigger.from_crontab(spec.refresh_cron, timezone=settings.timezone)
        else:
            hours = interval_hours(spec, settings)
            trigger = IntervalTrigger(hours=hours, timezone=settings.timezone)
            first = max(now + timedelta(seconds=1), (last or now) + timedelta(hours=hours))
        options: dict[str, Any] = {}
        if first is not None:
            options["next_run_time"] = first
        self.ctx.scheduler.add_job(
            self._fire,
            trigger,
            args=[spec.name],
            id=self._job_id(spec.name),
            name=f"catalog refresh {spec.name}",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            misfire_grace_time=None,
            **options,
        )
        soon = self._earliest_attempt(spec.name, now)
        if soon is not None:
            self._schedule_retry(spec.name, soon)

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

    def _schedule_retry(self, instance: str, when: datetime) -> None:
        if not self._schedule or self._closing:
            return
        from apscheduler.triggers.date import DateTrigger

        job = self.ctx.scheduler.get_job(self._job_id(instance))
        regular = job.next_run_time if job is not None else None
        if regular is not None and regular <= when:
            return
        self.ctx.scheduler.add_job(
            self._fire,
            DateTrigger(run_date=when),
            args=[instance],
            id=self._job_id(instance, retry=True),
            name=f"catalog retry {instance}",
            replace_existing=True,
            misfire_grace_time=None,
        )
        log.info("catalog.retry_scheduled", instance=instance, at=iso(when))

    def _after_run(self, spec: InstanceSpec, results: dict[str, StageResult]) -> None:
        wanted = [r.next_attempt_at for r in results.values() if r.next_attempt_at is not None]
        if wanted:
            self._schedule_retry(spec.name, max(min(wanted), utcnow()))

    def _remove_jobs(self, instance: str) -> None:
        for retry in (False, True):
            with contextlib.suppress(Exception):  # JobLookupError when absent
                self.ctx.scheduler.remove_job(self._job_id(instance, retry))

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
