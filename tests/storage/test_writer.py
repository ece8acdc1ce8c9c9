from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer, WriterClosedError

CREATE = "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, producer INTEGER, n INTEGER)"


async def _create(conn: aiosqlite.Connection) -> None:
    await conn.execute(CREATE)


async def test_concurrent_producers_are_serialized_without_lock_errors(writer: Writer) -> None:
    await writer.run(_create)

    async def producer(p: int) -> None:
        for n in range(40):
            rows = [(p, n * 10 + k) for k in range(10)]

            async def unit(conn: aiosqlite.Connection, rows: list[tuple[int, int]] = rows) -> None:
                await conn.executemany("INSERT INTO t(producer, n) VALUES (?, ?)", rows)

            await writer.run(unit)

    await asyncio.gather(*(producer(p) for p in range(12)))
    count = await writer.run(lambda c: _scalar(c, "SELECT count(*) FROM t"))
    assert count == 12 * 40 * 10
    assert writer.stats.rolled_back == 0


async def _scalar(conn: aiosqlite.Connection, sql: str) -> int:
    rows = list(await conn.execute_fetchall(sql))
    return int(rows[0][0])


async def test_failing_unit_rolls_back_alone_and_writer_keeps_running(writer: Writer) -> None:
    await writer.run(_create)

    async def bad(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO t(producer, n) VALUES (1, 1)")
        raise ValueError("boom")

    async def good(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO t(producer, n) VALUES (2, 2)")

    results = await asyncio.gather(writer.run(bad), writer.run(good), return_exceptions=True)
    assert isinstance(results[0], ValueError)
    assert results[1] is None
    rows = await writer.run(lambda c: c.execute_fetchall("SELECT producer FROM t"))
    assert [r[0] for r in rows] == [2]
    assert writer.running
    assert writer.stats.rolled_back == 1


async def test_sql_error_in_unit_does_not_poison_later_units(writer: Writer) -> None:
    await writer.run(_create)
    with pytest.raises(sqlite3.OperationalError):
        await writer.execute("INSERT INTO missing_table VALUES (1)")
    assert await writer.execute("INSERT INTO t(producer, n) VALUES (3, 3)") == 1


async def test_queue_is_bounded_and_producers_wait(db: Path) -> None:
    async with Writer(db, queue_size=2) as writer:
        gate = asyncio.Event()

        async def blocker(conn: aiosqlite.Connection) -> None:
            await gate.wait()

        async def noop(conn: aiosqlite.Connection) -> None:
            return None

        first = await writer.submit(blocker)
        await asyncio.sleep(0.05)  # the writer picked up the blocker
        queued = [await writer.submit(noop), await writer.submit(noop)]
        third = asyncio.create_task(writer.submit(noop))
        await asyncio.sleep(0.1)
        assert not third.done(), "a third unit must wait: the queue holds two"
        assert writer.queue_depth == 2
        gate.set()
        await first
        await asyncio.gather(*queued)
        await (await third)


async def test_on_commit_fires_after_commit_only(writer: Writer) -> None:
    await writer.run(_create)
    seen: list[str] = []

    async def ok(conn: aiosqlite.Connection) -> str:
        await conn.execute("INSERT INTO t(producer, n) VALUES (1, 1)")
        return "ok"

    async def bad(conn: aiosqlite.Connection) -> str:
        await conn.execute("INSERT INTO t(producer, n) VALUES (1, 2)")
        raise RuntimeError("rollback")

    async def committed_count() -> int:
        async with aiosqlite.connect(writer.path) as other:
            return await _scalar(other, "SELECT count(*) FROM t")

    counts: list[int] = []

    async def on_ok(value: str) -> None:
        seen.append(value)
        counts.append(await committed_count())  # visible to another connection: committed

    await writer.run(ok, on_commit=on_ok)
    with pytest.raises(RuntimeError):
        await writer.run(bad, on_commit=lambda v: seen.append("bad"))
    assert seen == ["ok"]
    assert counts == [1]


async def test_close_drains_queued_units(db: Path) -> None:
    writer = Writer(db, queue_size=100)
    await writer.start()
    await writer.run(_create)
    futures = []
    for n in range(50):

        async def unit(conn: aiosqlite.Connection, n: int = n) -> None:
            await conn.execute("INSERT INTO t(producer, n) VALUES (0, ?)", (n,))

        futures.append(await writer.submit(unit))
    await writer.close()
    assert all(f.done() and f.exception() is None for f in futures)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 50
    with pytest.raises(WriterClosedError):
        await writer.submit(_create)


async def test_write_connection_uses_wal_and_foreign_keys(writer: Writer) -> None:
    async def pragmas(conn: aiosqlite.Connection) -> tuple[str, int, int]:
        mode = list(await conn.execute_fetchall("PRAGMA journal_mode"))[0][0]
        fk = list(await conn.execute_fetchall("PRAGMA foreign_keys"))[0][0]
        sync = list(await conn.execute_fetchall("PRAGMA synchronous"))[0][0]
        return mode, fk, sync

    assert await writer.run(pragmas) == ("wal", 1, 1)


async def test_readers_cannot_write(readers: ReaderPool) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await readers.fetchall("INSERT INTO libraries(slug, name, kind) VALUES ('x', 'x', 'anime')")
    assert await readers.ping()
