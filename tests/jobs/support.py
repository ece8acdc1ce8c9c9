"""A job type whose runs the test controls (a gate each run waits on, a failure on demand), and
a runner on the real writer/readers/scheduler."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import aiosqlite
import httpx
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import BaseModel, ConfigDict

from anibridge_like.catalog.state import now_iso
from anibridge_like.context import AppContext
from anibridge_like.jobs.model import BaseJobType, JobContext, JobPlan, JobSummary, RunStatus
from anibridge_like.jobs.runner import JobRunner
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer


class GateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: str = "default"
    fail: bool = False


class GateSummary(JobSummary):
    runs: int = 0


class GateJob(BaseJobType):
    """``test_gate``: counts its runs and waits for its gate (bounded: 10 s)."""

    name: ClassVar[str] = "test_gate"
    config_model: ClassVar[type[BaseModel]] = GateConfig
    summary_model: ClassVar[type[JobSummary]] = GateSummary
    gates: ClassVar[dict[str, asyncio.Event]] = {}
    started: ClassVar[Counter[str]] = Counter()
    contexts: ClassVar[list[dict[str, Any]]] = []
    """structlog context variables seen by each run."""

    async def plan(self, ctx: JobContext) -> JobPlan:
        return JobPlan(planned=1)

    async def run(self, ctx: JobContext, *, dry_run: bool = False) -> JobSummary:
        config = ctx.config
        assert isinstance(config, GateConfig)
        GateJob.started[config.gate] += 1
        GateJob.contexts.append(structlog.contextvars.get_contextvars())
        if config.fail:
            raise RuntimeError("the gate job was told to fail")
        if dry_run:
            return GateSummary(dry_run=True, status=RunStatus.SUCCESS)
        gate = GateJob.gates.setdefault(config.gate, asyncio.Event())
        await asyncio.wait_for(gate.wait(), 10)
        return GateSummary(runs=GateJob.started[config.gate])


async def add_job(
    writer: Writer,
    *,
    name: str,
    type: str = "test_gate",
    cron: str | None = "0 4 * * 0",
    timezone: str | None = None,
    config: dict[str, Any] | None = None,
    library: str = "anime",
) -> int:
    async def unit(conn: aiosqlite.Connection) -> int:
        await conn.execute(
            "INSERT OR IGNORE INTO libraries(slug, name, kind) VALUES (?, ?, 'anime')",
            (library, library.title()),
        )
        cursor = await conn.execute(
            "INSERT INTO jobs(library_id, type, name, cron, timezone, config, managed_by,"
            " created_at, updated_at)"
            " SELECT id, ?, ?, ?, ?, ?, 'api', ?, ? FROM libraries WHERE slug = ?",
            (type, name, cron, timezone, json.dumps(config or {}), now_iso(), now_iso(), library),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    return await writer.run(unit)


@asynccontextmanager
async def app_context(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> AsyncIterator[AppContext]:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    try:
        async with httpx.AsyncClient() as http:
            yield AppContext(settings, Seed(), Registry(), writer, readers, http, scheduler)
    finally:
        scheduler.shutdown(wait=False)


@asynccontextmanager
async def running(ctx: AppContext) -> AsyncIterator[JobRunner]:
    async with JobRunner(ctx) as runner:
        ctx.jobs = runner
        yield runner


async def runs(readers: ReaderPool, job_id: int) -> list[tuple[str, str]]:
    rows = await readers.fetchall(
        "SELECT trigger, status FROM job_runs WHERE job_id = ? ORDER BY id", (job_id,)
    )
    return [(r[0], r[1]) for r in rows]


async def until(predicate: Any, *, within: float = 5.0) -> None:
    """Wait (bounded) until ``predicate()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
