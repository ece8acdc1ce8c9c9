"""Types every pipeline stage shares: the instance being refreshed, one run's environment, what
a stage reports back, and the one stage lifecycle.

A stage is an object with a ``name`` (a :class:`~anibridge_like.catalog.state.StageName`) and
``async run(run) -> StageResult``. It reads through ``run.readers``, writes only through
``run.writer`` (units of work), records its readiness through :mod:`~anibridge_like.catalog.state`
and its live progress on ``run.progress``. The list of stages is built in one place:
:func:`anibridge_like.catalog.pipeline.build_stages`.

**The lifecycle** (:class:`StageLifecycle`) is the bookkeeping every stage shares::

    life = StageLifecycle(run, StageName.DETAIL, state)
    if (skip := life.backing_off()) is not None:      # skip: a failed stage waits out its backoff
        return skip
    await life.begin(total)                           # begin: stage_state running + live progress
    ...                                               # work (the stage's own)
    return await life.ready(note=..., next_attempt_at=...)   # ready
    return await life.fail(error)                     # or fail: the error policy's status + backoff

Run-level bookkeeping (``job_runs``: claim, outcome, history) is the jobs runner's
(:mod:`anibridge_like.jobs.runner`); a catalog refresh is one job run whose summary lists each
stage's resulting status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx
import structlog

from anibridge_like.catalog.retry import Retrier, StageFailure, stage_failure
from anibridge_like.catalog.state import (
    ProgressBoard,
    StageName,
    StageProgress,
    StageStatus,
    iso,
    parse_iso,
    run_ready,
    run_started,
    utcnow,
    write_stage,
)
from anibridge_like.jobs.pacing import Pacer, ServingActivity
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.instances import InstanceRow
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.provider import Provider
from anibridge_like.plugins.registry import Registry
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer

InstanceSpec = InstanceRow
"""A provider instance as the seed reconcile stored it (``plugin_instances`` + scope)."""


def interval_hours(spec: InstanceRow, settings: Settings) -> float:
    """The instance's refresh cadence (seed value, else the settings default)."""
    return spec.refresh_interval_hours or settings.refresh_interval_hours


@dataclass(slots=True)
class InstanceRun:
    """Everything one refresh of one instance needs; built by the pipeline per run."""

    spec: InstanceSpec
    site: str
    provider: Provider
    settings: Settings
    writer: Writer
    readers: ReaderPool
    registry: Registry
    http: httpx.AsyncClient
    board: ProgressBoard
    retrier: Retrier
    manual: bool = False
    """Triggered by a person (lists even when another instance of the site listed recently)."""
    log: Any = field(default=None)
    plugins: PluginManager | None = None
    """The built plugin instances (``None`` in pipeline tests: instances are built per run)."""
    serving: ServingActivity | None = None
    """Requests being served: stages yield the loop to them (:mod:`~anibridge_like.jobs.pacing`)."""

    def __post_init__(self) -> None:
        if self.log is None:
            self.log = structlog.get_logger("anibridge_like.catalog").bind(
                instance=self.spec.name, site=self.site
            )

    def progress(self, stage: StageName) -> StageProgress:
        return self.board.get(self.spec.name, stage)

    def pacer(self) -> Pacer:
        """Paces a stage's steps while requests are served (:mod:`~anibridge_like.jobs.pacing`),
        counting the plugin worker's CPU time with the steps' own."""
        cpu = self.plugins.worker_cpu_seconds if self.plugins is not None else None
        return Pacer(self.serving, self.settings.indexing_share_while_serving, cpu)


@dataclass(frozen=True, slots=True)
class StageResult:
    """What a stage run ended with."""

    status: str
    """The stage's persisted status afterwards (ready, failed, backing_off, pending)."""
    blocks_following: bool = False
    """True when later stages cannot run (e.g. no title listing was ever promoted)."""
    next_attempt_at: datetime | None = None
    """When the stage wants to run again sooner than the instance's cadence."""
    error: str | None = None
    skipped: bool = False
    """Nothing was due; the stage did no work."""


class Stage(Protocol):
    name: StageName

    async def run(self, run: InstanceRun) -> StageResult: ...


@dataclass(slots=True)
class StageLifecycle:
    """skip → begin → work → ready | fail for one stage of one run (see the module docstring)."""

    run: InstanceRun
    stage: StageName
    state: dict[str, Any] | None
    """The stage's persisted row as read before the run (``None``: never ran)."""

    @property
    def status(self) -> str:
        return str(self.state["status"]) if self.state else StageStatus.PENDING.value

    @property
    def attempts(self) -> int:
        """Consecutive failed runs so far."""
        return int(self.state["attempts"]) if self.state else 0

    @property
    def progress(self) -> StageProgress:
        return self.run.progress(self.stage)

    def backing_off(self, *, manual_overrides: bool = True) -> StageResult | None:
        """The skip result while a failed stage waits for its next attempt (``None``: run).
        A manual run goes ahead unless ``manual_overrides`` is off; a ``failed`` stage with no
        next attempt (the policy never retries it by itself) waits for a manual run."""
        if self.state is None or self.status not in (StageStatus.FAILED, StageStatus.BACKING_OFF):
            return None
        if manual_overrides and self.run.manual:
            return None
        next_at = parse_iso(self.state["next_attempt_at"])
        if next_at is None:
            waits = self.status == StageStatus.FAILED and not manual_overrides
            return StageResult(self.status, skipped=True) if waits else None
        if next_at > utcnow():
            return StageResult(self.status, skipped=True, next_attempt_at=next_at)
        return None

    async def begin(self, total: int, *, done: int = 0) -> StageProgress:
        """Record the run as started (counts from ``done``) and start the live progress."""
        await write_stage(
            self.run.writer,
            self.run.spec.name,
            self.stage,
            label=f"{self.stage.value}.begin",
            **run_started(total, done),
        )
        self.progress.start(total=total, done=done)
        return self.progress

    async def ready(
        self, *, note: str | None = None, next_attempt_at: datetime | None = None
    ) -> StageResult:
        """Record the stage ready after its work, finish the live progress."""
        await self._write_ready(note, next_attempt_at)
        self.progress.note = note
        self.progress.finish(StageStatus.READY)
        return StageResult(StageStatus.READY, next_attempt_at=next_attempt_at)

    async def nothing_due(
        self, *, note: str | None = None, always_record: bool = False, **columns: Any
    ) -> StageResult:
        """Nothing to do: the stage is ready (recorded when it was not, or ``always_record``,
        with extra ``columns``), and its live progress says so."""
        if always_record or self.status != StageStatus.READY:
            await self._write_ready(note, None, **columns)
        progress = self.progress
        if progress.status != StageStatus.READY or note:
            progress.start(total=0)
            progress.note = note
            progress.finish(StageStatus.READY)
        return StageResult(StageStatus.READY, skipped=True)

    async def _write_ready(
        self, note: str | None, next_attempt_at: datetime | None, **columns: Any
    ) -> None:
        await write_stage(
            self.run.writer,
            self.run.spec.name,
            self.stage,
            label=f"{self.stage.value}.ready",
            **{**run_ready(note=note, next_attempt_at=iso(next_attempt_at)), **columns},
        )

    def failure(self, error: PluginError) -> StageFailure:
        """What failing with ``error`` now records (the error policy's status and backoff)."""
        return stage_failure(
            error, consecutive=self.attempts + 1, settings=self.run.settings, now=utcnow()
        )

    async def fail(self, error: PluginError, **log_fields: Any) -> StageResult:
        """Record the failure, finish the live progress, log it."""
        failure = self.failure(error)
        await write_stage(
            self.run.writer,
            self.run.spec.name,
            self.stage,
            label=f"{self.stage.value}.fail",
            **failure.columns(),
        )
        return self.failed(failure, **log_fields)

    def failed(
        self, failure: StageFailure, *, blocks_following: bool = False, **log_fields: Any
    ) -> StageResult:
        """The in-memory half of a failure already recorded (progress, log line, result)."""
        self.progress.note = failure.error
        self.progress.finish(failure.status)
        self.run.log.warning(
            f"{self.stage.value}.failed",
            stage=self.stage.value,
            error=failure.error,
            status=failure.status,
            next_attempt_at=iso(failure.next_attempt_at),
            **log_fields,
        )
        return StageResult(
            failure.status,
            blocks_following=blocks_following,
            next_attempt_at=failure.next_attempt_at,
            error=failure.error,
        )
