"""Download rows: what the API reads (one reader hop per request) and the writer units that
change them. Progress is written by :func:`progress_unit` for many rows at once (coalesced)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from anibridge_like.storage.database import ReaderPool, run_sync

STATES = ("queued", "downloading", "paused", "completed", "failed")


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True, slots=True)
class DownloadRow:
    hash: str
    name: str
    magnet: str
    site: str | None
    slug: str | None
    season: int | None
    number: int | None
    language: str | None
    category: str
    tags: str
    save_path: str
    mode: str
    state: str
    size: int
    downloaded: int
    file_name: str | None
    host: str | None
    error: str | None
    attempts: int
    added_at: str
    completed_at: str | None
    updated_at: str


_COLUMNS = (
    "hash, name, magnet, site, slug, season, number, language, category, tags, save_path, mode,"
    " state, size, downloaded, file_name, host, error, attempts, added_at, completed_at,"
    " updated_at"
)


def _row(r: sqlite3.Row) -> DownloadRow:
    return DownloadRow(*tuple(r))


def _select(
    conn: sqlite3.Connection, category: str | None, hashes: Sequence[str] | None
) -> list[DownloadRow]:
    sql = f"SELECT {_COLUMNS} FROM downloads"
    where: list[str] = []
    params: list[Any] = []
    if category is not None:
        where.append("category = ?")
        params.append(category)
    if hashes is not None:
        where.append(f"hash IN ({','.join('?' * len(hashes))})")
        params.extend(hashes)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_row(r) for r in conn.execute(sql + " ORDER BY added_at, hash", params)]


async def list_downloads(
    readers: ReaderPool, *, category: str | None = None, hashes: Sequence[str] | None = None
) -> list[DownloadRow]:
    if hashes is not None and not hashes:
        return []
    async with readers.connection() as conn:
        return await run_sync(conn, _select, category, hashes)


async def get_download(readers: ReaderPool, infohash: str) -> DownloadRow | None:
    rows = await list_downloads(readers, hashes=[infohash])
    return rows[0] if rows else None


async def list_categories(readers: ReaderPool) -> dict[str, str]:
    rows = await readers.fetchall("SELECT name, save_path FROM download_categories ORDER BY name")
    return {r["name"]: r["save_path"] for r in rows}


async def episode_indexed(
    readers: ReaderPool, site: str, slug: str, season: int, number: int, language: str
) -> bool:
    row = await readers.fetchone(
        "SELECT 1 FROM titles t JOIN episodes e ON e.title_id = t.id"
        " JOIN episode_languages l ON l.episode_id = e.id"
        " WHERE t.site = ? AND t.slug = ? AND t.gone = 0 AND e.season = ? AND e.number = ?"
        " AND l.language = ?",
        (site, slug, season, number, language),
    )
    return row is not None


# ---- writer units ----------------------------------------------------------------------------
def insert_unit(row: DownloadRow) -> Any:
    """Insert ``row``; an existing row with the same hash is kept (qBittorrent ignores a
    duplicate add). Returns True when inserted."""

    async def unit(conn: aiosqlite.Connection) -> bool:
        cursor = await conn.execute(
            f"INSERT OR IGNORE INTO downloads ({_COLUMNS}) VALUES ({','.join('?' * 22)})",
            tuple(getattr(row, f) for f in DownloadRow.__dataclass_fields__),
        )
        return cursor.rowcount == 1

    return unit


def update_unit(infohash: str, **fields: Any) -> Any:
    """Set ``fields`` of one row (``updated_at`` too)."""
    fields["updated_at"] = now_iso()
    names = sorted(fields)

    async def unit(conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute(
            f"UPDATE downloads SET {', '.join(f'{n} = ?' for n in names)} WHERE hash = ?",
            (*(fields[n] for n in names), infohash),
        )
        return cursor.rowcount

    return unit


def set_state_unit(hashes: Sequence[str], state: str, *, only_from: Sequence[str]) -> Any:
    """Move rows in one of ``only_from`` states to ``state``; returns the hashes changed."""

    async def unit(conn: aiosqlite.Connection) -> list[str]:
        changed: list[str] = []
        marks = ",".join("?" * len(only_from))
        for h in hashes:
            cursor = await conn.execute(
                f"UPDATE downloads SET state = ?, updated_at = ? WHERE hash = ?"
                f" AND state IN ({marks})",
                (state, now_iso(), h, *only_from),
            )
            if cursor.rowcount:
                changed.append(h)
        return changed

    return unit


def progress_unit(updates: Iterable[tuple[str, int, int]]) -> Any:
    """One coalesced write of ``(hash, downloaded, size)`` for many downloads."""
    batch = [(done, size, now_iso(), h) for h, done, size in updates]

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "UPDATE downloads SET downloaded = ?, size = ?, updated_at = ?"
            " WHERE hash = ? AND state IN ('downloading', 'paused')",
            batch,
        )

    return unit


def delete_unit(hashes: Sequence[str]) -> Any:
    async def unit(conn: aiosqlite.Connection) -> list[DownloadRow]:
        marks = ",".join("?" * len(hashes))
        rows = [
            _row(r)
            for r in await conn.execute_fetchall(
                f"SELECT {_COLUMNS} FROM downloads WHERE hash IN ({marks})", tuple(hashes)
            )
        ]
        await conn.execute(f"DELETE FROM downloads WHERE hash IN ({marks})", tuple(hashes))
        return rows

    return unit


def requeue_unfinished_unit() -> Any:
    """At start-up: downloads a stopped process left running are queued again."""

    async def unit(conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute(
            "UPDATE downloads SET state = 'queued', updated_at = ? WHERE state = 'downloading'",
            (now_iso(),),
        )
        return cursor.rowcount

    return unit


def category_unit(name: str, save_path: str | None, *, create: bool) -> Any:
    async def unit(conn: aiosqlite.Connection) -> bool:
        if create:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO download_categories (name, save_path) VALUES (?, ?)",
                (name, save_path or ""),
            )
        else:
            cursor = await conn.execute(
                "UPDATE download_categories SET save_path = ? WHERE name = ?",
                (save_path or "", name),
            )
        return cursor.rowcount == 1

    return unit


def remove_categories_unit(names: Sequence[str]) -> Any:
    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "DELETE FROM download_categories WHERE name = ?", [(n,) for n in names]
        )

    return unit
