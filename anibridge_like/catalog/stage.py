"""Types every pipeline stage shares: the instance being refreshed, one run's environment, and
what a stage reports back.

A stage is an object with a ``name`` (a :class:`~anibridge_like.catalog.state.StageName`) and
``async run(run) -> StageResult``. It reads through ``run.readers``, writes only through
``run.writer`` (units of work), records its readiness through :mod:`~anibridge_like.catalog.state`
and its live progress on ``run.progress``. The list of stages is built in one place:
:func:`anibridge_like.catalog.pipeline.build_stages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx
import structlog

from anibridge_like.catalog.retry import Retrier
from anibridge_like.catalog.state import ProgressBoard, StageName, StageProgress
from anibridge_like.plugins.instances import InstanceRow
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

    def __post_init__(self) -> None:
        if self.log is None:
            self.log = structlog.get_logger("anibridge_like.catalog").bind(
                instance=self.spec.name, site=self.site
            )

    def progress(self, stage: StageName) -> StageProgress:
        return self.board.get(self.spec.name, stage)


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
