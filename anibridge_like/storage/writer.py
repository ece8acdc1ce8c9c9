"""The one writer: a single task owning the only write connection.

Producers hand it *units of work* — ``async def unit(conn) -> T`` — which it runs one at a time,
each inside ``BEGIN IMMEDIATE`` … ``COMMIT``. A unit that raises is rolled back alone and its
exception is delivered to its producer; the writer keeps running. Bulk rows go through
``conn.executemany`` inside a unit (never one await per row).

The queue is bounded: :meth:`Writer.submit` waits for room, which is the backpressure that keeps a
fast producer (a title listing, say) from piling rows up in memory. Callbacks given with
``on_commit`` run only after the unit's transaction committed, never after a rollback.

:meth:`Writer.close` drains: everything queued before it runs, then the connection closes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite
import structlog

from anibridge_like.storage.database import open_write_connection

T = TypeVar("T")
UnitOfWork = Callable[[aiosqlite.Connection], Awaitable[T]]
OnCommit = Callable[[T], Any]

log = structlog.get_logger("anibridge_like.writer")


class WriterClosedError(RuntimeError):
    """Raised by :meth:`Writer.submit` after the writer was closed."""


@dataclass(slots=True)
class _Job(Generic[T]):
    unit: UnitOfWork[T]
    future: asyncio.Future[T]
    on_commit: OnCommit[T] | None
    label: str
    enqueued: float = field(default_factory=time.monotonic)


_STOP = object()


@dataclass(slots=True)
class WriterStats:
    """Counters for /health and benchmarks."""

    committed: int = 0
    rolled_back: int = 0
    busy_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    last_lag_seconds: float = 0.0
    """How long the last unit waited in the queue before it ran."""
    last_commit_at: float | None = None

    @property
    def utilisation(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.busy_seconds / elapsed if elapsed > 0 else 0.0


class Writer:
    """Serializes every write to one SQLite database. Use as an async context manager."""

    def __init__(self, path: Path, *, queue_size: int = 64) -> None:
        if queue_size < 1:
            raise ValueError("writer queue size must be at least 1")
        self.path = path
        self.queue_size = queue_size
        self._queue: asyncio.Queue[_Job[Any] | object] = asyncio.Queue(maxsize=queue_size)
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.stats = WriterStats()

    # ---- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self._conn = await open_write_connection(self.path)
        self.stats = WriterStats()
        self._task = asyncio.create_task(self._run(), name="sqlite-writer")

    async def close(self) -> None:
        """Run everything already queued, then close the connection."""
        if self._task is None:
            return
        self._closing = True
        await self._queue.put(_STOP)  # waits for room: the writer is consuming
        await self._task
        self._task = None
        if self._conn is not None:
            await self._conn.execute("PRAGMA optimize")
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Writer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    # ---- producers -----------------------------------------------------------------------
    async def submit(
        self,
        unit: UnitOfWork[T],
        *,
        on_commit: OnCommit[T] | None = None,
        label: str = "",
    ) -> asyncio.Future[T]:
        """Queue ``unit`` (waiting while the queue is full) and return a future of its result."""
        if self._closing or self._task is None:
            raise WriterClosedError("the writer is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(unit, future, on_commit, label or _name(unit)))
        return future

    async def run(
        self, unit: UnitOfWork[T], *, on_commit: OnCommit[T] | None = None, label: str = ""
    ) -> T:
        """Queue ``unit`` and wait for its committed result (or its exception)."""
        future = await self.submit(unit, on_commit=on_commit, label=label)
        return await future

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Convenience unit: one ``executemany`` in its own transaction."""
        batch = list(rows)

        async def unit(conn: aiosqlite.Connection) -> None:
            await conn.executemany(sql, batch)

        await self.run(unit, label="executemany")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Convenience unit: one statement; returns the row count it changed."""

        async def unit(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

        return await self.run(unit, label="execute")

    # ---- the task ------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._conn is not None
        conn = self._conn
        while True:
            item = await self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, _Job)
            job: _Job[Any] = item
            if job.future.cancelled():
                continue
            self.stats.last_lag_seconds = time.monotonic() - job.enqueued
            began = time.monotonic()
            try:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    result = await job.unit(conn)
                    await conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        await conn.execute("ROLLBACK")
                    raise
            except asyncio.CancelledError:
                if not job.future.done():
                    job.future.cancel()
                raise
            except Exception as exc:  # the unit's failure belongs to its producer
                self.stats.rolled_back += 1
                log.warning("writer.unit_rolled_back", unit=job.label, error=repr(exc))
                if not job.future.done():
                    job.future.set_exception(exc)
                continue
            finally:
                self.stats.busy_seconds += time.monotonic() - began
            self.stats.committed += 1
            self.stats.last_commit_at = time.time()
            if job.on_commit is not None:
                try:
                    outcome = job.on_commit(result)
                    if asyncio.iscoroutine(outcome):
                        await outcome
                except Exception as exc:  # a callback must not stop the writer
                    log.error("writer.on_commit_failed", unit=job.label, error=repr(exc))
            if not job.future.done():
                job.future.set_result(result)


def _name(unit: Callable[..., Any]) -> str:
    return getattr(unit, "__qualname__", None) or repr(unit)
