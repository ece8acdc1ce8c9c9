"""The one jobs runner: owns every APScheduler job of every job, claims runs, runs them as tasks
it owns, and records them in ``job_runs``.

Lifecycle (entered on the application's exit stack as ``ctx.jobs``): on entry runs a previous
process left ``pending``/``running`` are marked ``aborted`` and every enabled job is scheduled;
on exit the scheduler jobs are removed, running runs are cancelled (recorded ``aborted``) and
awaited.

Scheduling: APScheduler id :attr:`JobRow.scheduler_id`; a job with ``cron`` gets
:func:`~anibridge_like.jobs.cron.cron_trigger` in its timezone (default ``ANIBRIDGE_TIMEZONE``), a
job with ``interval_hours`` an interval trigger (first fire from the type's ``first_fire``);
``max_instances=1``, ``coalesce``. :meth:`JobRunner.reload` compares rows and touches only jobs
that were added, changed or removed; :meth:`JobRunner.reschedule` does one job (admin API edits).
A row that cannot be scheduled (bad cron or timezone written around the validation) is logged and
skipped, never aborting start-up; its error is in :attr:`JobRunner.errors`.

Runs: :meth:`JobRunner.submit` claims the job in memory synchronously (a second submit raises
:class:`~anibridge_like.jobs.store.JobRunningError`), then the run's task claims it in the
database (the partial unique index) and calls the type's ``run`` inside the one per-run boundary:
an exception is logged with the job's context and recorded ``failed``; cancellation is recorded
``aborted``. A scheduler tick that finds the job running records a ``skipped`` run.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from anibridge_like.jobs.cron import ScheduleError, cron_trigger, interval_trigger
from anibridge_like.jobs.model import JobContext, JobRow, JobSummary, RunStatus, RunTrigger
from anibridge_like.jobs.registry import job_type
from anibridge_like.jobs.store import (
    JobRunningError,
    abort_stale,
    claim_run,
    finish_run,
    load_jobs,
    record_skipped,
)

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

    from anibridge_like.context import AppContext

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a run ended (the value of a run's task)."""

    run_id: int | None
    status: RunStatus
    message: str | None = None
    summary: JobSummary | None = None


@dataclass(frozen=True, slots=True)
class _Active:
    task: asyncio.Task[RunOutcome]
    claimed: asyncio.Future[int]
    """Resolves to the run's id once the database accepted the claim."""

    def run_id(self) -> int | None:
        done = self.claimed.done() and not self.claimed.cancelled()
        return self.claimed.result() if done and self.claimed.exception() is None else None


class JobRunner:
    """See the module docstring."""

    def __init__(self, ctx: AppContext, *, schedule: bool = True) -> None:
        self.ctx = ctx
        self.jobs: dict[int, JobRow] = {}
        self.errors: dict[int, str] = {}
        self._schedule = schedule
        self._active: dict[int, _Active] = {}
        self._deferred: set[asyncio.Task[None]] = set()
        self._closing = False

    # ---- lifecycle -----------------------------------------------------------------------
    async def __aenter__(self) -> JobRunner:
        aborted = await abort_stale(self.ctx.writer)
        if aborted:
            log.warning("jobs.stale_runs_aborted", runs=aborted)
        await self.reload()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        for job in list(self.jobs.values()):
            self._unschedule(job)
        tasks: list[asyncio.Task[Any]] = [a.task for a in self._active.values()]
        tasks += list(self._deferred)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._active.clear()

    # ---- scheduling ----------------------------------------------------------------------
    async def reload(self) -> None:
        """Re-read every job; schedule added/changed ones, unschedule removed/disabled ones."""
        rows = {job.id: job for job in await load_jobs(self.ctx.readers)}
        for job_id in set(self.jobs) - set(rows):
            self._unschedule(self.jobs.pop(job_id))
            self.errors.pop(job_id, None)
        for job_id, row in rows.items():
            known = self.jobs.get(job_id)
            if known is None or known.schedule_key() != row.schedule_key() or self._missing(row):
                await self._apply(row)
        self.jobs = rows

    async def reschedule(self, job_id: int) -> JobRow | None:
        """Re-read one job and (re)schedule or unschedule it alone; ``None`` when it is gone."""
        rows = await load_jobs(self.ctx.readers, job_id=job_id)
        old = self.jobs.pop(job_id, None)
        if not rows:
            if old is not None:
                self._unschedule(old)
            self.errors.pop(job_id, None)
            return None
        self.jobs[job_id] = rows[0]
        await self._apply(rows[0])
        return rows[0]

    def _missing(self, job: JobRow) -> bool:
        """A job that should be scheduled but is not (e.g. removed from the scheduler)."""
        timed = bool(job.cron or job.interval_hours or job.key)
        wanted = self._schedule and job.enabled and timed and job.id not in self.errors
        return wanted and self.ctx.scheduler.get_job(job.scheduler_id) is None

    def timezone_of(self, job: JobRow) -> str:
        return job.timezone or self.ctx.settings.timezone

    def trigger_of(self, job: JobRow) -> BaseTrigger | None:
        """The job's trigger (``None`` for a manual-only job); ScheduleError when unusable."""
        if job.cron:
            return cron_trigger(job.cron, self.timezone_of(job))
        hours = job.interval_hours
        if hours is None and job.key is not None:  # instance jobs default to the settings cadence
            hours = self.ctx.settings.refresh_interval_hours
        return interval_trigger(hours, self.timezone_of(job)) if hours else None

    async def _apply(self, job: JobRow) -> None:
        self._unschedule(job)
        self.errors.pop(job.id, None)
        if not (self._schedule and job.enabled) or self._closing:
            return
        try:
            trigger = self.trigger_of(job)
        except ScheduleError as exc:
            self.errors[job.id] = str(exc)
            log.error("jobs.unschedulable", job=job.name, job_id=job.id, error=str(exc))
            return
        if trigger is None:
            return
        options: dict[str, Any] = {}
        if not job.cron:
            first = await job_type(job.type).first_fire(self.ctx, job)
            if first is not None:
                options["next_run_time"] = first
        self.ctx.scheduler.add_job(
            self._fire,
            trigger,
            args=[job.id],
            id=job.scheduler_id,
            name=f"{job.type} {job.name}",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            misfire_grace_time=None,
            **options,
        )

    def _unschedule(self, job: JobRow) -> None:
        for suffix in ("", ":retry"):
            with contextlib.suppress(Exception):  # JobLookupError when absent
                self.ctx.scheduler.remove_job(job.scheduler_id + suffix)

    def run_at(self, job_id: int, when: datetime, trigger: RunTrigger = "retry") -> None:
        """A one-shot run of the job at ``when`` (unless its regular run comes first)."""
        job = self.jobs.get(job_id)
        if job is None or not self._schedule or self._closing:
            return
        from apscheduler.triggers.date import DateTrigger

        regular = self.next_fire_time(job_id)
        if regular is not None and regular <= when:
            return
        self.ctx.scheduler.add_job(
            self._fire,
            DateTrigger(run_date=when),
            args=[job_id, trigger],
            id=job.scheduler_id + ":retry",
            name=f"{job.type} {job.name} ({trigger})",
            replace_existing=True,
            misfire_grace_time=None,
        )
        log.info("jobs.run_scheduled", job=job.name, at=when.isoformat(), trigger=trigger)

    def next_fire_time(self, job_id: int) -> datetime | None:
        """When the scheduler will next start the job (``None``: not scheduled)."""
        job = self.jobs.get(job_id)
        if job is None:
            return None
        scheduled = self.ctx.scheduler.get_job(job.scheduler_id)
        moment: datetime | None = getattr(scheduled, "next_run_time", None)
        return moment

    # ---- runs ----------------------------------------------------------------------------
    def is_running(self, job_id: int) -> bool:
        active = self._active.get(job_id)
        return active is not None and not active.task.done()

    def task_of(self, job_id: int) -> asyncio.Task[RunOutcome] | None:
        """The task of the job's active run (``None`` when idle)."""
        active = self._active.get(job_id)
        return active.task if active is not None and not active.task.done() else None

    def running(self) -> list[int]:
        return sorted(j for j in self._active if self.is_running(j))

    def submit(
        self, job_id: int, trigger: RunTrigger = "manual", *, dry_run: bool = False
    ) -> asyncio.Task[RunOutcome]:
        """Start a run now; the task ends with the run. Raises ``KeyError`` for an unknown job
        and :class:`JobRunningError` when a run of the job is active."""
        job = self.jobs[job_id]
        active = self._active.get(job_id)
        if active is not None and not active.task.done():
            raise JobRunningError(job_id, active.run_id())
        if self._closing:
            raise JobRunningError(job_id, None)
        claimed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        claimed.add_done_callback(lambda f: f.cancelled() or f.exception())
        task = asyncio.create_task(
            self._execute(job, trigger, dry_run, claimed), name=f"job:{job.scheduler_id}"
        )
        self._active[job_id] = _Active(task, claimed)
        task.add_done_callback(lambda t, j=job_id: self._done(j, t))  # type: ignore[misc]
        return task

    async def run_now(
        self, job_id: int, trigger: RunTrigger = "manual", *, dry_run: bool = False
    ) -> int:
        """Start a run and return its id once claimed; :class:`JobRunningError` (with the
        active run's id) otherwise."""
        try:
            self.submit(job_id, trigger, dry_run=dry_run)
        except JobRunningError as busy:
            active = self._active.get(job_id)
            if busy.run_id is not None or active is None:
                raise
            # claimed in memory a moment ago: wait for its id (the claim is one writer unit)
            run_id: int | None
            try:
                run_id = await asyncio.shield(active.claimed)
            except JobRunningError as other:  # that claim lost to a run of another process
                run_id = other.run_id
            raise JobRunningError(job_id, run_id) from None
        return await asyncio.shield(self._active[job_id].claimed)

    async def wait(self, job_id: int) -> RunOutcome | None:
        active = self._active.get(job_id)
        if active is None:
            return None
        return await asyncio.shield(active.task)

    def _done(self, job_id: int, task: asyncio.Task[RunOutcome]) -> None:
        active = self._active.get(job_id)
        if active is not None and active.task is task:
            del self._active[job_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("jobs.run_crashed", job_id=job_id, error=repr(task.exception()))

    async def _fire(self, job_id: int, trigger: RunTrigger = "cron", *, defer: bool = True) -> None:
        """Scheduler callback: start a run and return at once (a scheduler job never waits for
        the run, so the next tick is never refused as "still running" by APScheduler itself).
        A run already active: a ``skipped`` row — or, for a one-shot (retry, start-up) due
        while a run ends (typically the run that asked for it), a run right after it."""
        job = self.jobs.get(job_id)
        if job is None:
            return
        try:
            self.submit(job_id, trigger)
        except JobRunningError as busy:
            active = self.task_of(job_id)
            if defer and trigger != "cron" and active is not None and not self._closing:
                active.add_done_callback(lambda _t: self._after(job_id, trigger))
                return
            log.info("jobs.run_skipped_running", job=job.name, active_run=busy.run_id)
            message = f"run {busy.run_id} was still running" if busy.run_id else "still running"
            await record_skipped(self.ctx.writer, job_id, trigger, message)

    def _after(self, job_id: int, trigger: RunTrigger) -> None:
        """Start a deferred one-shot (an owned task, cancelled on exit)."""
        if self._closing or job_id not in self.jobs:
            return
        task = asyncio.create_task(self._fire(job_id, trigger, defer=False))
        self._deferred.add(task)
        task.add_done_callback(self._deferred.discard)

    async def _execute(
        self, job: JobRow, trigger: RunTrigger, dry_run: bool, claimed: asyncio.Future[int]
    ) -> RunOutcome:
        """One run; every log line inside it (plugin calls included) carries the job's context
        and nothing inherited from whatever scheduled it (the task has its own context copy)."""
        structlog.contextvars.clear_contextvars()
        context: dict[str, Any] = {"job": job.name}
        if job.library is not None:
            context["library"] = job.library
        with structlog.contextvars.bound_contextvars(**context):
            return await self._execute_bound(job, trigger, dry_run, claimed)

    async def _execute_bound(
        self, job: JobRow, trigger: RunTrigger, dry_run: bool, claimed: asyncio.Future[int]
    ) -> RunOutcome:
        bound = log.bind(job_id=job.id, job_type=job.type)
        try:
            run_id = await claim_run(self.ctx.writer, job.id, trigger, dry_run=dry_run)
        except JobRunningError as busy:  # a run of another process holds the job
            claimed.set_exception(busy)
            if trigger != "manual":
                note = f"run {busy.run_id} was still running"
                await record_skipped(self.ctx.writer, job.id, trigger, note)
            return RunOutcome(None, RunStatus.SKIPPED, str(busy))
        except BaseException as exc:
            claimed.set_exception(JobRunningError(job.id, None))
            raise exc
        claimed.set_result(run_id)
        bound = bound.bind(run_id=run_id)
        bound.info("jobs.run_started", trigger=trigger, dry_run=dry_run)
        summary: JobSummary | None = None
        try:
            kind = job_type(job.type)
            config = kind.config_model.model_validate(job.config)
            library = next((lib for lib in self.ctx.libraries if lib.slug == job.library), None)
            context = JobContext(self.ctx, job, config, run_id, trigger, bound, library)
            summary = await kind.run(context, dry_run=dry_run)
            status, message = summary.status, summary.message
        except asyncio.CancelledError:
            status, message = RunStatus.ABORTED, "cancelled before it finished"
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(
                    finish_run(
                        self.ctx.writer, run_id, job.id, status, message=message, summary=None
                    )
                )
            bound.warning("jobs.run_aborted")
            raise
        except Exception as exc:  # the one boundary per job run
            bound.exception("jobs.run_failed", error=repr(exc))
            status, message = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
        dump = summary.model_dump(mode="json") if summary is not None else None
        await finish_run(self.ctx.writer, run_id, job.id, status, message=message, summary=dump)
        bound.info("jobs.run_finished", status=status.value, message=message)
        return RunOutcome(run_id, status, message, summary)
