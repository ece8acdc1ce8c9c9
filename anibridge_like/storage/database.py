"""Connections and pragmas: the write connection's settings and a pool of read-only readers.

Every connection runs in WAL mode with ``synchronous=NORMAL``, ``foreign_keys=ON`` and a
``busy_timeout``. Readers open the file with ``mode=ro`` and ``query_only=ON``; only
:class:`~anibridge_like.storage.writer.Writer` holds a connection that may write.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")


async def run_sync(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(raw_sqlite3_connection, *args)`` on ``conn``'s own thread: one thread hop for a
    whole function of statements (DESIGN.md: an aiosqlite call costs 0.1–0.2 ms whatever the
    query, so a request does its reads in one such call).

    aiosqlite offers no public way to run a function on its thread; this is the one place that
    uses its work queue (``Connection._execute``, the path every ``execute_fetchall`` takes),
    so the call is serialized with every other use of the connection.
    """
    execute = cast(Callable[..., Awaitable[T]], conn._execute)

    def call() -> T:
        raw: sqlite3.Connection = conn._conn
        return fn(raw, *args)

    return await execute(call)


async def open_write_connection(path: Path) -> aiosqlite.Connection:
    """The write connection: WAL, autocommit mode (transactions are explicit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA temp_store = MEMORY")
    await conn.execute("PRAGMA cache_size = -16000")
    return conn


async def open_read_connection(path: Path) -> aiosqlite.Connection:
    """A read-only connection (``mode=ro`` + ``query_only``)."""
    conn = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA query_only = ON")
    await conn.execute("PRAGMA cache_size = -8000")
    return conn


class ReaderPool:
    """A fixed pool of read-only connections; each request borrows one for its reads.

    Use ``async with pool.connection() as conn`` to run several queries on one connection, or
    :meth:`fetchall` / :meth:`fetchone` for a single query (one thread hop each).
    """

    def __init__(self, path: Path, size: int = 2) -> None:
        if size < 1:
            raise ValueError("reader pool size must be at least 1")
        self.path = path
        self.size = size
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all: list[aiosqlite.Connection] = []

    async def open(self) -> None:
        for _ in range(self.size):
            conn = await open_read_connection(self.path)
            self._all.append(conn)
            self._idle.put_nowait(conn)

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()

    async def __aenter__(self) -> ReaderPool:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._idle.get()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self.connection() as conn:
            return list(await conn.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> bool:
        try:
            await self.fetchone("SELECT 1")
        except sqlite3.Error:
            return False
        return True
