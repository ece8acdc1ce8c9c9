"""Faults of the machine: a full disk is told apart, shown by /health, and the state it kept from
being written is recorded once the disk has room again (issue 12, item 11).

A full disk is produced with SQLite's own limit, ``PRAGMA max_page_count`` on the write
connection: the writer then fails exactly as on a full device (``SQLITE_FULL``, "database or disk
is full"); raising the limit is the disk getting room. The reliability suite does the same on a
real, small tmpfs (``tests/reliability/test_disk_full.py``)."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import AsyncIterator

import aiosqlite
import httpx
import pytest

from anibridge_like.app import create_app
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings
from anibridge_like.storage.faults import StorageFaultKind, storage_fault_of
from anibridge_like.storage.writer import Writer


async def _limit(writer: Writer, extra_pages: int | None) -> None:
    """Let the database grow by ``extra_pages`` pages at most (``None``: no limit)."""

    async def unit(conn: aiosqlite.Connection) -> None:
        rows = list(await conn.execute_fetchall("PRAGMA page_count"))
        limit = 2**31 - 2 if extra_pages is None else int(rows[0][0]) + extra_pages
        await conn.execute(f"PRAGMA max_page_count = {limit}")

    await writer.run(unit, label="test.limit")


async def _fill(conn: aiosqlite.Connection) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS ballast (x BLOB)")
    await conn.executemany(
        "INSERT INTO ballast VALUES (randomblob(4000))", [() for _ in range(200)]
    )


def test_storage_errors_are_classified_by_their_sqlite_code() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("CREATE TABLE u (x UNIQUE)")
    conn.execute("PRAGMA max_page_count = 4")
    with pytest.raises(sqlite3.OperationalError) as full:
        conn.executemany("INSERT INTO t VALUES (randomblob(5000))", [() for _ in range(10)])
    fault = storage_fault_of(full.value)
    assert fault is not None and fault.kind is StorageFaultKind.DISK_FULL
    with pytest.raises(sqlite3.IntegrityError) as constraint:
        conn.execute("INSERT INTO u VALUES (1), (1)")
    assert storage_fault_of(constraint.value) is None
    assert storage_fault_of(sqlite3.OperationalError("no such table: nope")) is None
    enospc = OSError(errno.ENOSPC, "No space left on device")
    assert storage_fault_of(enospc).kind is StorageFaultKind.DISK_FULL  # type: ignore[union-attr]
    assert storage_fault_of(ValueError("database or disk is full")) is None


async def test_the_writer_keeps_the_fault_until_a_write_succeeds(writer: Writer) -> None:
    await _limit(writer, 5)
    with pytest.raises(sqlite3.OperationalError, match="full"):
        await writer.run(_fill)
    assert writer.storage_fault is not None
    assert writer.storage_fault.kind is StorageFaultKind.DISK_FULL
    replayed: list[str] = []

    async def record(conn: aiosqlite.Connection) -> None:
        replayed.append("done")

    writer.defer("k", record)
    with pytest.raises(sqlite3.OperationalError):
        await writer.run(_fill)
    assert replayed == [] and writer.storage_fault is not None
    await _limit(writer, None)  # room again: this commit ends the fault
    assert writer.storage_fault is None
    assert replayed == ["done"]


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Writer]]:
    app = create_app(settings, seed=Seed(), start_services=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, app.state.ctx.writer


async def test_health_says_degraded_storage_while_the_disk_is_full(
    app_client: tuple[httpx.AsyncClient, Writer],
) -> None:
    client, writer = app_client
    assert (await client.get("/health")).json()["status"] == "ok"
    await _limit(writer, 5)
    with pytest.raises(sqlite3.OperationalError):
        await writer.run(_fill)
    response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["degraded"] == ["storage"]
    assert body["storage"]["fault"] == "disk_full"
    await _limit(writer, None)
    healthy = await client.get("/health")
    assert healthy.status_code == 200 and healthy.json()["storage"] == {"ok": True}
