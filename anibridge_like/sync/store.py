"""The wanted lists' database side: sync state per (library, instance), one writer unit per page
(entries upserted, cursor saved with them), completion (entries missing from a complete listing
marked removed) and links to catalog titles.

Entries are keyed by (library, instance, external id). Each listing run has a generation: a run
that starts from the beginning takes the next one, a resumed run keeps its generation, so an entry
seen on any page of the listing carries it and only entries of older generations are marked
removed when the listing completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from anibridge_like.plugins.sync import WantedItem
from anibridge_like.storage.database import ReaderPool
from anibridge_like.sync.scope import LIBRARY_TITLES, id_matches


@dataclass(frozen=True, slots=True)
class SyncState:
    status: str
    cursor: str | None
    generation: int
    failures: int
    next_attempt_at: str | None
    config_hash: str | None = None


async def read_state(readers: ReaderPool, library_id: int, instance_id: int) -> SyncState:
    row = await readers.fetchone(
        "SELECT status, cursor, generation, failures, next_attempt_at, config_hash"
        " FROM wanted_sync_state"
        " WHERE library_id = ? AND instance_id = ?",
        (library_id, instance_id),
    )
    if row is None:
        return SyncState("pending", None, 0, 0, None)
    return SyncState(row[0], row[1], int(row[2]), int(row[3]), row[4], row[5])


_UPSERT = (
    "INSERT INTO wanted_items(library_id, instance_id, external_id, kind, title, year,"
    " list_status, tvdb_id, tmdb_id, imdb_id, anilist_id, mal_id, generation, first_seen,"
    " last_seen, removed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
    " ON CONFLICT(library_id, instance_id, external_id) DO UPDATE SET kind = excluded.kind,"
    " title = excluded.title, year = excluded.year, list_status = excluded.list_status,"
    " tvdb_id = excluded.tvdb_id, tmdb_id = excluded.tmdb_id, imdb_id = excluded.imdb_id,"
    " anilist_id = excluded.anilist_id, mal_id = excluded.mal_id,"
    " generation = excluded.generation, last_seen = excluded.last_seen, removed_at = NULL"
)
_STATE = (
    "INSERT INTO wanted_sync_state(library_id, instance_id, status, cursor, generation, failures,"
    " next_attempt_at, last_error_code, last_error, last_run_at, last_complete_at, items,"
    " config_hash) VALUES (:library, :instance, :status, :cursor, :generation, :failures,"
    " :next_attempt_at, :code, :error, :now, :complete_at, 0, :config_hash)"
    " ON CONFLICT(library_id, instance_id) DO UPDATE SET status = excluded.status,"
    " cursor = excluded.cursor, generation = excluded.generation, failures = excluded.failures,"
    " next_attempt_at = excluded.next_attempt_at, last_error_code = excluded.last_error_code,"
    " last_error = excluded.last_error, last_run_at = excluded.last_run_at,"
    " last_complete_at = COALESCE(excluded.last_complete_at, wanted_sync_state.last_complete_at),"
    " config_hash = excluded.config_hash"
)
_LINK = (
    "INSERT OR IGNORE INTO wanted_links(wanted_id, title_id) SELECT key, title_id FROM ("
    + id_matches(
        "(SELECT * FROM wanted_items WHERE library_id = :library AND removed_at IS NULL) w",
        "w.id",
        "w.{col}",
    )
    + ") WHERE title_id IN ("
    + LIBRARY_TITLES
    + ")"
)


@dataclass(frozen=True, slots=True)
class PageWrite:
    """One page of a listing and the state to save with it."""

    library_id: int
    title_kind: str
    instance_id: int
    generation: int
    items: list[WantedItem]
    now: str
    status: str
    cursor: str | None
    failures: int = 0
    next_attempt_at: str | None = None
    error_code: str | None = None
    error: str | None = None
    complete: bool = False


@dataclass(frozen=True, slots=True)
class PageOutcome:
    stored: int
    removed: int
    live: int


def _row(page: PageWrite, item: WantedItem) -> tuple[Any, ...]:
    ids = item.ids
    return (
        page.library_id,
        page.instance_id,
        item.external_id,
        item.kind,
        item.title[:500],
        item.year,
        item.list_status,
        ids.tvdb,
        ids.tmdb,
        ids.imdb,
        ids.anilist,
        ids.mal,
        page.generation,
        page.now,
        page.now,
    )


def page_unit(page: PageWrite) -> Any:
    """Writer unit: upsert the page's entries, save the state, complete the listing when it is
    complete (older generations marked removed), relink the library's entries."""
    rows = sorted((_row(page, i) for i in page.items), key=lambda r: r[2])

    async def unit(conn: aiosqlite.Connection) -> PageOutcome:
        if rows:
            await conn.executemany(_UPSERT, rows)
        removed = 0
        if page.complete:
            cursor = await conn.execute(
                "UPDATE wanted_items SET removed_at = ? WHERE library_id = ? AND instance_id = ?"
                " AND generation < ? AND removed_at IS NULL",
                (page.now, page.library_id, page.instance_id, page.generation),
            )
            removed = cursor.rowcount
        await conn.execute(
            _STATE,
            {
                "library": page.library_id,
                "instance": page.instance_id,
                "status": page.status,
                "cursor": page.cursor,
                "generation": page.generation,
                "failures": page.failures,
                "next_attempt_at": page.next_attempt_at,
                "code": page.error_code,
                "error": (page.error or "")[:500] or None,
                "now": page.now,
                "complete_at": page.now if page.complete else None,
                "config_hash": None,
            },
        )
        live = await relink(conn, page.library_id, page.title_kind)
        await conn.execute(
            "UPDATE wanted_sync_state SET items = (SELECT COUNT(*) FROM wanted_items"
            " WHERE library_id = :l AND instance_id = :i AND removed_at IS NULL)"
            " WHERE library_id = :l AND instance_id = :i",
            {"l": page.library_id, "i": page.instance_id},
        )
        return PageOutcome(len(rows), removed, live)

    return unit


async def relink(conn: aiosqlite.Connection, library_id: int, title_kind: str) -> int:
    """Replace the library's links: every live entry to every in-scope title its ids resolve to.
    Returns the number of links."""
    await conn.execute(
        "DELETE FROM wanted_links WHERE wanted_id IN"
        " (SELECT id FROM wanted_items WHERE library_id = ?)",
        (library_id,),
    )
    cursor = await conn.execute(_LINK, {"library": library_id, "title_kind": title_kind})
    return cursor.rowcount


def state_unit(library_id: int, instance_id: int, values: dict[str, Any]) -> Any:
    """Writer unit: save a run's state without entries (a failed or skipped call)."""

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            _STATE,
            {
                "library": library_id,
                "instance": instance_id,
                "complete_at": None,
                "config_hash": None,
                **values,
            },
        )

    return unit
