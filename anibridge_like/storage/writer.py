"""The one writer: a single task owning the only write connection.

Producers hand it *units of work* — ``async def unit(conn) -> T`` — which it runs one at a time,
each inside ``BEGIN IMMEDIATE`` … ``COMMIT``. A unit that raises is rolled back alone and its
exception is delivered to its producer; the writer keeps running. Bulk rows go through
``conn.executemany`` inside a unit (never one await per row).

The queue is bounded: :meth:`Writer.submit` waits for room, which is the backpressure that keeps a
fast producer (a title listing, say) from piling rows up in memory. Callbacks given with
``on_commit`` run only after the unit's transaction committed, never after a rollback.

:meth:`Writer.close` drains: everything queued before it runs, then the connection closes.

Faults of the machine (disk full, read-only, I/O — :mod:`anibridge_like.storage.faults`): a unit
that fails with one sets :attr:`Writer.storage_fault` (``/health`` shows ``degraded: storage``)
until a unit commits again. A producer that must record something the fault prevented (a
stage's failure) hands it to :meth:`Writer.defer`; deferred units run right after the next
successful commit, so the state recovers as soon as the disk has room.
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
from anibridge_like.storage.faults import StorageFault, storage_fault_of

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
        self.storage_fault: StorageFault | None = None
        """The fault that made the last unit fail (``None`` once a unit commits again)."""
        self._deferred: dict[str, UnitOfWork[Any]] = {}
        self._current: _Job[Any] | None = None

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

    MAX_DEFERRED = 256

    def defer(self, key: str, unit: UnitOfWork[Any]) -> None:
        """Run ``unit`` after the next successful commit (a later ``defer`` with the same
        ``key`` replaces it). For writes a storage fault prevented; the unit should check
        that what it records is still current."""
        if key not in self._deferred and len(self._deferred) >= self.MAX_DEFERRED:
            self._deferred.pop(next(iter(self._deferred)))
        self._deferred[key] = unit

    async def _transaction(self, conn: aiosqlite.Connection, unit: UnitOfWork[T]) -> T:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            result = await unit(conn)
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        return result

    async def _recovered(self, conn: aiosqlite.Connection) -> None:
        """A unit committed: the storage fault (if any) is over; run the deferred units."""
        if self.storage_fault is not None:
            log.warning("writer.storage_recovered", fault=self.storage_fault.kind.value)
            self.storage_fault = None
        while self._deferred:
            key, unit = next(iter(self._deferred.items()))
            del self._deferred[key]
            try:
                await self._transaction(conn, unit)
            except Exception as exc:
                self._failed(key, exc)
                if self.storage_fault is not None:
                    self._deferred.setdefault(key, unit)
                    return
            else:
                self.stats.committed += 1
                log.info("writer.deferred_applied", unit=key)

    def _failed(self, label: str, exc: Exception) -> None:
        self.stats.rolled_back += 1
        fault = storage_fault_of(exc)
        if fault is not None:
            if self.storage_fault is None:
                log.error(
                    "writer.storage_fault", unit=label, fault=fault.kind.value, error=str(exc)
                )
            else:
                fault = StorageFault(fault.kind, fault.message, self.storage_fault.since)
            self.storage_fault = fault
        log.warning("writer.unit_rolled_back", unit=label, error=repr(exc))

    # ---- the task ------------------------------------------------------------------------
    async def _run(self) -> None:
        """The writer's task: :meth:`_loop`, restarted (after logging) should anything escape
        it — a dead writer would leave the daemon serving but never writing again."""
        while True:
            try:
                await self._loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("writer.loop_crashed", error=repr(exc))
                current, self._current = self._current, None
                if current is not None and not current.future.done():
                    current.future.set_exception(exc)
                await asyncio.sleep(0.05)

    async def _loop(self) -> None:
        assert self._conn is not None
        conn = self._conn
        while True:
            item = await self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, _Job)
            job: _Job[Any] = item
            self._current = job
            if job.future.cancelled():
                continue
            self.stats.last_lag_seconds = time.monotonic() - job.enqueued
            began = time.monotonic()
            try:
                result = await self._transaction(conn, job.unit)
            except asyncio.CancelledError:
                if not job.future.done():
                    job.future.cancel()
                raise
            except Exception as exc:  # the unit's failure belongs to its producer
                self._failed(job.label, exc)
                if not job.future.done():
                    job.future.set_exception(exc)
                continue
            finally:
                self.stats.busy_seconds += time.monotonic() - began
            self.stats.committed += 1
            self.stats.last_commit_at = time.time()
            if self.storage_fault is not None or self._deferred:
                await self._recovered(conn)
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
