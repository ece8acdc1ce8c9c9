"""The catalog pipeline: the explicit list of named stages, and one instance's refresh.

::

    title ──► detail ──► canonical          (build_stages: the one place the list is made)

:func:`refresh_instance` runs the stages of one provider instance in order. Each stage decides
from its persisted state whether it has work (a title listing is due by cadence or retry, details
for new/changed/due titles, canonical matching for titles whose details changed) and records its
own readiness. A stage that fails records the failure and its next attempt; the run goes on with
the next stage unless the failed stage blocks it (no title listing was ever promoted).

This function is the job-run boundary: an unexpected exception inside a stage is logged with
context and recorded as that stage's failure (``upstream``, backing off); cancellation marks the
running stage ``pending`` with the interruption noted, keeps resumable staging work and re-raises.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import aiosqlite
import httpx

from anibridge_like.catalog.details import DetailStage
from anibridge_like.catalog.enrichment import CanonicalEnrichment
from anibridge_like.catalog.retry import Retrier, stage_failure
from anibridge_like.catalog.stage import InstanceRun, InstanceSpec, Stage, StageResult
from anibridge_like.catalog.state import (
    ProgressBoard,
    StageStatus,
    now_iso,
    save_stage,
    utcnow,
)
from anibridge_like.catalog.titles import TitleStage
from anibridge_like.jobs.pacing import ServingActivity
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.instances import build_plugin
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.provider import Provider
from anibridge_like.plugins.registry import Registry
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.faults import storage_fault_of
from anibridge_like.storage.writer import Writer, WriterClosedError

STAGE_NAMES = ("title", "detail", "canonical")


def build_stages() -> list[Stage]:
    """The pipeline, in order. Every stage of the catalog is listed here and nowhere else."""
    return [TitleStage(), DetailStage(), CanonicalEnrichment()]


def build_provider(registry: Registry, spec: InstanceSpec, http: httpx.AsyncClient) -> Provider:
    """The provider object of ``spec`` (implementation class from the registry, validated
    config); a missing or invalid configuration raises ``not_configured``."""
    try:
        provider: Provider = build_plugin(registry, spec, http)
    except Exception as exc:  # unknown implementation, import failure or invalid config
        raise PluginError(
            ErrorCode.NOT_CONFIGURED, f"cannot build provider {spec.implementation!r}: {exc}"
        ) from exc
    return provider


def site_of(spec: InstanceSpec, provider: Provider | None) -> str:
    """The catalog site key: the reconciled column, else the provider's own."""
    if spec.site:
        return spec.site
    if provider is not None:
        return provider.site
    return spec.implementation


def make_run(
    spec: InstanceSpec,
    provider: Provider,
    *,
    settings: Settings,
    writer: Writer,
    readers: ReaderPool,
    registry: Registry,
    http: httpx.AsyncClient,
    board: ProgressBoard,
    manual: bool = False,
    plugins: PluginManager | None = None,
    serving: ServingActivity | None = None,
) -> InstanceRun:
    return InstanceRun(
        spec=spec,
        site=site_of(spec, provider),
        provider=provider,
        settings=settings,
        writer=writer,
        readers=readers,
        registry=registry,
        http=http,
        board=board,
        retrier=Retrier.from_settings(settings),
        manual=manual,
        plugins=plugins,
        serving=serving,
    )


async def refresh_instance(
    run: InstanceRun, stages: Sequence[Stage] | None = None
) -> dict[str, StageResult]:
    """Run every stage of one instance in order (see the module docstring)."""
    results: dict[str, StageResult] = {}
    for stage in stages if stages is not None else build_stages():
        try:
            result = await stage.run(run)
        except asyncio.CancelledError:
            await mark_interrupted(run.writer, run.spec.name, board=run.board)
            raise
        except Exception as exc:  # the job-run boundary
            run.log.exception("stage.crashed", stage=stage.name.value, error=repr(exc))
            result = await record_failure(run, stage.name.value, exc)
        results[stage.name.value] = result
        if result.blocks_following:
            run.log.info("pipeline.stopped", stage=stage.name.value, status=result.status)
            break
    return results


async def record_failure(run: InstanceRun, stage: str, exc: BaseException) -> StageResult:
    """Persist a crashed stage as a failure with backoff (any exception; never raises)."""
    fault = storage_fault_of(exc)
    error = (
        exc
        if isinstance(exc, PluginError)
        else PluginError(ErrorCode.STORAGE, fault.describe())
        if fault is not None
        else PluginError(ErrorCode.UPSTREAM, f"{type(exc).__name__}: {exc}")
    )

    async def unit(conn: aiosqlite.Connection) -> int:
        rows = list(
            await conn.execute_fetchall(
                "SELECT attempts, live_generation FROM stage_state"
                " WHERE instance = ? AND stage = ?",
                (run.spec.name, stage),
            )
        )
        attempts = int(rows[0][0]) if rows else 0
        failure = stage_failure(
            error, consecutive=attempts + 1, settings=run.settings, now=utcnow()
        )
        await save_stage(
            conn,
            run.spec.name,
            stage,
            **failure.columns(),
        )
        return 1 if rows and rows[0][1] is not None else 0

    failure = stage_failure(error, consecutive=1, settings=run.settings, now=utcnow())
    has_live = 0
    try:
        has_live = await run.writer.run(unit, label="stage.crashed")
    except (WriterClosedError, aiosqlite.Error) as write_error:
        run.log.error("stage.failure_not_recorded", stage=stage, error=repr(write_error))
        if storage_fault_of(write_error) is not None:  # recorded once the disk has room
            run.writer.defer(f"stage:{run.spec.name}:{stage}", unless_moved_on(run, stage, unit))
    progress = run.board.get(run.spec.name, stage)
    progress.note = failure.error
    progress.finish(failure.status)
    return StageResult(
        failure.status,
        blocks_following=stage == "title" and not has_live,
        next_attempt_at=failure.next_attempt_at,
        error=failure.error,
    )


def unless_moved_on(run: InstanceRun, stage: str, unit: Any) -> Any:
    """``unit`` guarded for a late replay: it applies only while the stage row still shows
    the run that failed (status ``running``), never over a later run's state."""

    async def guarded(conn: aiosqlite.Connection) -> int:
        rows = list(
            await conn.execute_fetchall(
                "SELECT status FROM stage_state WHERE instance = ? AND stage = ?",
                (run.spec.name, stage),
            )
        )
        if rows and rows[0][0] != StageStatus.RUNNING.value:
            return 0
        result: int = await unit(conn)
        return result

    return guarded


async def mark_interrupted(writer: Writer, instance: str, *, board: ProgressBoard) -> None:
    """A run was cancelled: its running stages go back to ``pending`` (staging work is kept
    for the next attempt to resume)."""

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "UPDATE stage_state SET status = 'pending', finished_at = ?, next_attempt_at = ?,"
            " last_error = 'interrupted before it finished' WHERE instance = ? AND status = ?",
            (now_iso(), now_iso(), instance, StageStatus.RUNNING.value),
        )

    # When the write cannot happen (writer closed, cancelled again), start-up recovery does it.
    with contextlib.suppress(WriterClosedError, aiosqlite.Error, asyncio.CancelledError):
        await asyncio.shield(writer.run(unit, label="stage.interrupted"))
    for (name, _stage), progress in board.items().items():
        if name == instance and progress.status == StageStatus.RUNNING:
            progress.note = "interrupted"
            progress.finish(StageStatus.PENDING)


def run_summary(results: dict[str, StageResult]) -> dict[str, Any]:
    return {name: r.status + (" (skipped)" if r.skipped else "") for name, r in results.items()}
