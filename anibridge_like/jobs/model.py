"""What a job type is, what a job (row) is, and what a run reports.

A **job type** is a class with

* ``name`` — the type name stored in ``jobs.type`` (``catalog_refresh`` …);
* ``config_model`` — a pydantic model of the job's ``config`` (validated by the seed with YAML
  paths, by the admin API with field paths, and again when a run starts);
* ``summary_model`` — a :class:`JobSummary` subclass with the type's counters;
* ``async plan(ctx) -> JobPlan`` — read-only: what a run would do now (never writes);
* ``async run(ctx, dry_run=False) -> JobSummary`` — the work. With ``dry_run`` it plans and
  reports without writing;
* ``async first_fire(app, job) -> datetime | None`` — for interval jobs, when the first run
  after a start is due (``None``: one interval from now).

:class:`BaseJobType` gives the defaults (``first_fire`` → ``None``).

A type never touches the scheduler or ``job_runs``: the runner (:mod:`.runner`) claims a run,
calls ``run`` inside the one per-run boundary and records the outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from anibridge_like.context import AppContext
    from anibridge_like.libraries.model import Library

RunTrigger = Literal["cron", "manual", "startup", "retry"]


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"
    ABORTED = "aborted"


ACTIVE = (RunStatus.PENDING, RunStatus.RUNNING)
"""Statuses the partial unique index ``job_runs_one_active`` allows once per job."""


class JobSummary(BaseModel):
    """What one run reports (stored as ``job_runs.summary`` JSON). Types subclass it with their
    counters; ``status`` is the run's outcome (success, partial, failed or skipped)."""

    model_config = ConfigDict(extra="forbid")

    status: RunStatus = RunStatus.SUCCESS
    message: str | None = None
    dry_run: bool = False


class JobPlan(BaseModel):
    """What a run would do now (``plan()``): a count of planned items and typed skip reasons."""

    model_config = ConfigDict(extra="forbid")

    planned: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    plan_failure: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JobRow:
    """One ``jobs`` row."""

    id: int
    key: str | None
    library: str | None
    """The library's slug (``None`` for instance-owned jobs such as catalog refresh)."""
    instance: str | None
    type: str
    name: str
    cron: str | None
    interval_hours: float | None
    timezone: str | None
    enabled: bool
    config: dict[str, Any]
    managed_by: str
    last_run_at: str | None = None
    last_run_status: str | None = None
    last_run_message: str | None = None

    @property
    def scheduler_id(self) -> str:
        """The APScheduler job id (``catalog:<instance>`` for derived jobs, ``job:<id>``)."""
        return self.key or f"job:{self.id}"

    def schedule_key(self) -> tuple[Any, ...]:
        """What the schedule depends on (a change reschedules; a new last run does not)."""
        return (self.key, self.type, self.cron, self.interval_hours, self.timezone, self.enabled)

    def public(self) -> dict[str, Any]:
        """The admin API's view of the row."""
        return {
            "id": self.id,
            "library": self.library,
            "instance": self.instance,
            "type": self.type,
            "name": self.name,
            "cron": self.cron,
            "interval_hours": self.interval_hours,
            "timezone": self.timezone,
            "enabled": self.enabled,
            "config": self.config,
            "managed_by": self.managed_by,
            "last_run_at": self.last_run_at,
            "last_run_status": self.last_run_status,
            "last_run_message": self.last_run_message,
        }

    @classmethod
    def from_row(cls, r: Any) -> JobRow:
        return cls(
            id=int(r["id"]),
            key=r["key"],
            library=r["library"],
            instance=r["instance"],
            type=r["type"],
            name=r["name"],
            cron=r["cron"],
            interval_hours=r["interval_hours"],
            timezone=r["timezone"],
            enabled=bool(r["enabled"]),
            config=json.loads(r["config"] or "{}"),
            managed_by=r["managed_by"],
            last_run_at=r["last_run_at"],
            last_run_status=r["last_run_status"],
            last_run_message=r["last_run_message"],
        )


@dataclass(slots=True)
class JobContext:
    """Everything one run (or plan) of a job receives."""

    app: AppContext
    job: JobRow
    config: BaseModel
    """The job's config, validated by its type's ``config_model``."""
    run_id: int | None
    trigger: RunTrigger
    log: Any
    """structlog logger bound with ``job`` (and ``library``)."""
    library: Library | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class JobType(Protocol):
    """The interface every job type implements (see the module docstring)."""

    name: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]
    summary_model: ClassVar[type[JobSummary]]

    async def plan(self, ctx: JobContext) -> JobPlan: ...

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary: ...

    async def first_fire(self, app: AppContext, job: JobRow) -> datetime | None: ...


class BaseJobType:
    """Defaults for optional parts of :class:`JobType`."""

    async def first_fire(self, app: AppContext, job: JobRow) -> datetime | None:
        return None
