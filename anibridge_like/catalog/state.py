"""Stage readiness: persisted per (instance, stage) through the writer, plus live progress.

Persisted (``stage_state``): status, counts, started/finished/ready timestamps, next attempt,
consecutive failed attempts, last error, live/staging generation and the listing cursor. The
helpers here are *writer units* (or parts of one): they take the write connection and run inside
the caller's transaction, so counts are committed together with the rows they count.

In memory (:class:`ProgressBoard`): what only the running process knows — rate, ETA, the item
being worked on, queue depth. It resets on restart; the persisted state does not.

Timestamps are ISO-8601 UTC with milliseconds and a ``Z`` (fixed width, so they compare as text).
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiosqlite

from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.timestamps import iso, now_iso, parse_iso, utcnow
from anibridge_like.storage.writer import Writer

__all__ = ["iso", "now_iso", "parse_iso", "utcnow"]  # re-exported: stages import them from here


class StageName(StrEnum):
    TITLE = "title"
    DETAIL = "detail"
    CANONICAL = "canonical"


class StageStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    BACKING_OFF = "backing_off"


# ---- persisted state (writer units) ---------------------------------------------------------
_COLUMNS = frozenset(
    {
        "status",
        "listed",
        "persisted",
        "failed",
        "total",
        "started_at",
        "finished_at",
        "ready_at",
        "next_attempt_at",
        "attempts",
        "last_error",
        "live_generation",
        "staging_generation",
        "cursor",
    }
)


async def save_stage(
    conn: aiosqlite.Connection, instance: str, stage: StageName | str, **values: Any
) -> None:
    """Upsert the given columns of one ``stage_state`` row (inside the caller's unit).

    ``ready_at`` keeps its first value (the first time the stage became ready); ``attempts``
    may be given as the string ``"+1"`` to count one more consecutive failure.
    """
    unknown = set(values) - _COLUMNS
    if unknown:
        raise ValueError(f"unknown stage_state columns: {sorted(unknown)}")
    names = sorted(values)
    params: dict[str, Any] = {"instance": instance, "stage": str(stage)}
    sets: list[str] = []
    inserts: list[str] = []
    for name in names:
        value = values[name]
        if name == "attempts" and value == "+1":
            inserts.append("1")
            sets.append("attempts = stage_state.attempts + 1")
            continue
        params[name] = value
        inserts.append(f":{name}")
        if name == "ready_at":
            sets.append("ready_at = COALESCE(stage_state.ready_at, excluded.ready_at)")
        else:
            sets.append(f"{name} = excluded.{name}")
    columns = ", ".join(["instance", "stage", *names])
    value_marks = ", ".join([":instance", ":stage", *inserts])
    sql = f"INSERT INTO stage_state ({columns}) VALUES ({value_marks})"
    sql += " ON CONFLICT(instance, stage) DO UPDATE SET " + ", ".join(sets) if sets else ""
    if not sets:
        sql += " ON CONFLICT(instance, stage) DO NOTHING"
    await conn.execute(sql, params)


def run_started(total: int, done: int = 0, stamp: str | None = None) -> dict[str, Any]:
    """The ``stage_state`` columns of a run that starts now, its counts starting at ``done``."""
    return {
        "status": StageStatus.RUNNING.value,
        "started_at": stamp or now_iso(),
        "finished_at": None,
        "listed": done,
        "persisted": done,
        "failed": 0,
        "total": total,
    }


def run_ready(
    *, note: str | None = None, next_attempt_at: str | None = None, stamp: str | None = None
) -> dict[str, Any]:
    """The ``stage_state`` columns of a run that ends ready now (``note``: a non-fatal remark,
    ``next_attempt_at``: an early retry some items want)."""
    stamp = stamp or now_iso()
    return {
        "status": StageStatus.READY.value,
        "finished_at": stamp,
        "ready_at": stamp,
        "attempts": 0,
        "last_error": note,
        "next_attempt_at": next_attempt_at,
    }


async def write_stage(
    writer: Writer, instance: str, stage: StageName | str, *, label: str, **values: Any
) -> None:
    """:func:`save_stage` as a writer unit of its own (the common case of a state change)."""

    async def unit(conn: aiosqlite.Connection) -> None:
        await save_stage(conn, instance, stage, **values)

    await writer.run(unit, label=label)


async def read_stage(
    conn: aiosqlite.Connection, instance: str, stage: StageName | str
) -> dict[str, Any] | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT * FROM stage_state WHERE instance = ? AND stage = ?", (instance, str(stage))
        )
    )
    return dict(rows[0]) if rows else None


async def fetch_named(
    readers: ReaderPool, sql: str, params: Mapping[str, Any]
) -> list[sqlite3.Row]:
    """One read with named parameters (one thread hop)."""
    async with readers.connection() as conn:
        return list(await conn.execute_fetchall(sql, params))


# ---- live progress --------------------------------------------------------------------------
@dataclass(slots=True)
class StageProgress:
    """What a running stage is doing right now (in memory only)."""

    instance: str
    stage: str
    status: str = StageStatus.PENDING.value
    listed: int = 0
    persisted: int = 0
    failed: int = 0
    total: int = 0
    total_estimated: bool = False
    """True while ``total`` is a guess (a listing's previous size)."""
    current: str | None = None
    started: float | None = None
    finished: float | None = None
    queue_depth: Callable[[], int] | None = None
    note: str | None = None
    _window: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=64))

    def start(self, *, total: int = 0, estimated: bool = False, done: int = 0) -> None:
        self.status = StageStatus.RUNNING.value
        self.listed = self.persisted = done
        self.failed = 0
        self.total = total
        self.total_estimated = estimated
        self.current = None
        self.note = None
        self.started = time.monotonic()
        self.finished = None
        self._window.clear()
        self._window.append((self.started, done))

    def finish(self, status: str) -> None:
        self.status = status
        self.current = None
        self.queue_depth = None
        self.finished = time.monotonic()

    @property
    def done(self) -> int:
        return self.persisted + self.failed

    def tick(self) -> None:
        """Record a sample for the rate (call after counts changed)."""
        now = time.monotonic()
        if self._window and now - self._window[-1][0] < 0.05:
            self._window[-1] = (self._window[-1][0], self.done)
        else:
            self._window.append((now, self.done))

    def rate(self) -> float:
        """Items per second over the recent window (about the last 30 s)."""
        if len(self._window) < 2:
            return 0.0
        now = time.monotonic()
        last_t, last_n = self._window[-1]
        first_t, first_n = self._window[0]
        for t, n in self._window:
            if now - t <= 30.0:
                first_t, first_n = t, n
                break
        if first_t == last_t:
            first_t, first_n = self._window[0]
        span = max(last_t, now if self.status == StageStatus.RUNNING else last_t) - first_t
        return (last_n - first_n) / span if span > 0 else 0.0

    def percent(self) -> float | None:
        if self.status == StageStatus.READY and not self.total:
            return 100.0
        if self.total <= 0:
            return None
        value = 100.0 * self.done / self.total
        if self.status == StageStatus.RUNNING:
            value = min(value, 99.9)
        return round(min(value, 100.0), 1)

    def eta_seconds(self) -> float | None:
        if self.status != StageStatus.RUNNING or self.total <= 0:
            return None
        rate = self.rate()
        if rate <= 0:
            return None
        return round(max(0, self.total - self.done) / rate, 1)

    def snapshot(self) -> dict[str, Any]:
        depth = self.queue_depth() if self.queue_depth is not None else 0
        return {
            "status": self.status,
            "listed": self.listed,
            "persisted": self.persisted,
            "failed": self.failed,
            "total": self.total,
            "total_estimated": self.total_estimated,
            "percent": self.percent(),
            "rate": round(self.rate(), 2),
            "eta_seconds": self.eta_seconds(),
            "queue_depth": depth,
            "current": self.current,
            "note": self.note,
            "elapsed_seconds": (
                round((self.finished or time.monotonic()) - self.started, 2)
                if self.started is not None
                else None
            ),
        }


class ProgressBoard:
    """Every stage's live progress, by (instance, stage)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], StageProgress] = {}

    def get(self, instance: str, stage: StageName | str) -> StageProgress:
        key = (instance, str(stage))
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = StageProgress(instance, str(stage))
        return item

    def find(self, instance: str, stage: StageName | str) -> StageProgress | None:
        return self._items.get((instance, str(stage)))

    def running(self) -> list[StageProgress]:
        return [p for p in self._items.values() if p.status == StageStatus.RUNNING]

    def items(self) -> Mapping[tuple[str, str], StageProgress]:
        return self._items
