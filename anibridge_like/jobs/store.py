"""``jobs`` and ``job_runs`` in the database: reads through the reader pool, writes as writer
units. Claiming a run is one INSERT that the partial unique index ``job_runs_one_active``
refuses while another run of the job is pending or running — skip-if-running without a
check-then-insert race, whoever asks (a cron tick, run-now, another process)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import aiosqlite

from anibridge_like.jobs.model import JobRow, RunStatus, RunTrigger
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.timestamps import now_iso
from anibridge_like.storage.writer import Writer

SELECT_JOBS = (
    "SELECT j.*, l.slug AS library, p.name AS instance FROM jobs j"
    " LEFT JOIN libraries l ON l.id = j.library_id"
    " LEFT JOIN plugin_instances p ON p.id = j.instance_id"
)


class JobRunningError(Exception):
    """A run of the job is already active; ``run_id`` is that run's id (``None`` when it is
    claimed in this process but not yet stored)."""

    def __init__(self, job_id: int, run_id: int | None) -> None:
        self.job_id = job_id
        self.run_id = run_id
        super().__init__(f"job {job_id} is already running (run {run_id})")


async def load_jobs(
    readers: ReaderPool | aiosqlite.Connection,
    *,
    job_id: int | None = None,
    library: str | None = None,
) -> list[JobRow]:
    """Jobs (one, or a library's, or all), by id."""
    where: list[str] = []
    params: list[Any] = []
    if job_id is not None:
        where.append("j.id = ?")
        params.append(job_id)
    if library is not None:
        where.append("l.slug = ?")
        params.append(library)
    sql = SELECT_JOBS + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY j.id"
    if isinstance(readers, ReaderPool):
        rows = await readers.fetchall(sql, params)
    else:
        rows = list(await readers.execute_fetchall(sql, params))
    return [JobRow.from_row(r) for r in rows]


async def active_run(conn: aiosqlite.Connection, job_id: int) -> int | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT id FROM job_runs WHERE job_id = ? AND status IN ('pending', 'running')",
            (job_id,),
        )
    )
    return int(rows[0][0]) if rows else None


async def claim_run(writer: Writer, job_id: int, trigger: RunTrigger, *, dry_run: bool) -> int:
    """Insert a ``running`` row for the job and return its id, or raise
    :class:`JobRunningError` with the active run's id."""

    async def unit(conn: aiosqlite.Connection) -> int:
        try:
            cursor = await conn.execute(
                "INSERT INTO job_runs(job_id, trigger, status, dry_run, started_at)"
                " VALUES (?, ?, 'running', ?, ?)",
                (job_id, trigger, int(dry_run), now_iso()),
            )
        except sqlite3.IntegrityError:
            raise JobRunningError(job_id, await active_run(conn, job_id)) from None
        assert cursor.lastrowid is not None
        await conn.execute(
            "UPDATE jobs SET last_run_at = ?, last_run_status = 'running', last_run_message = NULL"
            " WHERE id = ?",
            (now_iso(), job_id),
        )
        return int(cursor.lastrowid)

    return await writer.run(unit, label="jobs.claim")


async def finish_run(
    writer: Writer,
    run_id: int,
    job_id: int,
    status: RunStatus,
    *,
    message: str | None,
    summary: dict[str, Any] | None,
) -> None:
    """Record a run's outcome and the job's last-run columns (one unit)."""
    stamp = now_iso()

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "UPDATE job_runs SET status = ?, finished_at = ?, message = ?, summary = ?"
            " WHERE id = ?",
            (status.value, stamp, message, json.dumps(summary) if summary else None, run_id),
        )
        await conn.execute(
            "UPDATE jobs SET last_run_at = ?, last_run_status = ?, last_run_message = ?"
            " WHERE id = ?",
            (stamp, status.value, message, job_id),
        )

    await writer.run(unit, label="jobs.finish")


async def record_skipped(writer: Writer, job_id: int, trigger: RunTrigger, message: str) -> int:
    """A tick that found the job running: a ``skipped`` run row (history only)."""
    stamp = now_iso()

    async def unit(conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute(
            "INSERT INTO job_runs(job_id, trigger, status, started_at, finished_at, message)"
            " VALUES (?, ?, 'skipped', ?, ?, ?)",
            (job_id, trigger, stamp, stamp, message),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    return await writer.run(unit, label="jobs.skipped")


async def abort_stale(writer: Writer) -> int:
    """Runs left ``pending``/``running`` by a previous process become ``aborted``."""
    stamp = now_iso()

    async def unit(conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute(
            "UPDATE job_runs SET status = 'aborted', finished_at = ?,"
            " message = 'the process stopped before the run finished'"
            " WHERE status IN ('pending', 'running')",
            (stamp,),
        )
        await conn.execute(
            "UPDATE jobs SET last_run_status = 'aborted', last_run_at = ?,"
            " last_run_message = 'the process stopped before the run finished'"
            " WHERE last_run_status IN ('pending', 'running')",
            (stamp,),
        )
        return cursor.rowcount

    return await writer.run(unit, label="jobs.abort_stale")


def run_view(r: Any) -> dict[str, Any]:
    return {
        "id": int(r["id"]),
        "job_id": int(r["job_id"]),
        "trigger": r["trigger"],
        "status": r["status"],
        "dry_run": bool(r["dry_run"]),
        "started_at": r["started_at"],
        "finished_at": r["finished_at"],
        "message": r["message"],
        "summary": json.loads(r["summary"]) if r["summary"] else None,
    }


async def list_runs(readers: ReaderPool, job_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The job's runs, newest first."""
    rows = await readers.fetchall(
        "SELECT * FROM job_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?", (job_id, limit)
    )
    return [run_view(r) for r in rows]
