"""Writer units of the inventory pull: scan state, items, ownership (see
:mod:`anibridge_like.mediaservers.inventory` for the rules they implement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiosqlite

from anibridge_like.catalog.state import iso, now_iso, utcnow
from anibridge_like.mediaservers.resolve import GOOD
from anibridge_like.plugins.errors import ErrorCode, PluginError, policy_for
from anibridge_like.plugins.media_server import ServerStatus
from anibridge_like.storage.writer import Writer

MAX_BACKOFF_SECONDS = 24 * 3600.0

CONNECTION_BY_CODE: dict[ErrorCode, str] = {
    ErrorCode.AUTH: "disconnected",
    ErrorCode.NOT_CONFIGURED: "disconnected",
    ErrorCode.BLOCKED: "disconnected",
}
"""What a failed scan says about the server; any other code (upstream, timeout, rate_limited,
invalid_data, not_found, partial) means ``degraded``. Either way ``next_attempt_at`` is set from
the code's policy backoff (:func:`~anibridge_like.plugins.errors.policy_for`: minutes for an
unreachable server, hours for rejected credentials), doubled per consecutive failure up to a
day; scheduled scans skip the binding until then, a manual scan always tries."""


@dataclass(frozen=True, slots=True)
class Binding:
    """A daemon library bound to a server library of a media-server instance."""

    instance_id: int
    instance: str
    library_id: int
    library: str
    library_kind: str
    server_library: str


@dataclass(slots=True)
class ScanOutcome:
    instance: str
    library: str
    status: str  # complete | partial | failed | skipped
    items: int = 0
    pages: int = 0
    error_code: str | None = None
    error: str | None = None


_UPSERT_ITEM = (
    "INSERT INTO media_items(instance_id, library_id, server_id, kind, title, year, tvdb_id,"
    " tmdb_id, imdb_id, anilist_id, series_key, season, episode, episode_end, absolute, path,"
    " work, resolved_by, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?) ON CONFLICT(instance_id, library_id, server_id) DO UPDATE SET kind = excluded.kind,"
    " title = excluded.title, year = excluded.year, tvdb_id = excluded.tvdb_id,"
    " tmdb_id = excluded.tmdb_id, imdb_id = excluded.imdb_id, anilist_id = excluded.anilist_id,"
    " series_key = excluded.series_key, season = excluded.season, episode = excluded.episode,"
    " episode_end = excluded.episode_end, absolute = excluded.absolute, path = excluded.path,"
    " work = excluded.work, resolved_by = excluded.resolved_by, generation = excluded.generation"
)
_UPSERT_OWNED = (
    "INSERT INTO media_ownership(library_id, work, season, episode, instance_id, state, path,"
    " generation, updated_at) VALUES (?, ?, ?, ?, ?, 'owned', ?, ?, ?)"
    " ON CONFLICT(library_id, work, season, episode, instance_id) DO UPDATE SET"
    " state = 'owned', path = excluded.path, generation = excluded.generation,"
    " updated_at = excluded.updated_at"
)


def begin_unit(b: Binding, status: ServerStatus, generation: int, resume: bool) -> Any:
    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO media_scan_state(instance_id, library_id, server_library, status,"
            " connection, server_name, server_version, generation, complete, items, pages,"
            " started_at) VALUES (?, ?, ?, 'running', 'connected', ?, ?, ?, 0, 0, 0, ?)"
            " ON CONFLICT(instance_id, library_id) DO UPDATE SET"
            " server_library = excluded.server_library, status = 'running',"
            " connection = 'connected', server_name = excluded.server_name,"
            " server_version = excluded.server_version, generation = excluded.generation,"
            " complete = 0, started_at = excluded.started_at"
            + ("" if resume else ", items = 0, pages = 0, cursor = NULL"),
            (
                b.instance_id,
                b.library_id,
                b.server_library,
                status.name,
                status.version,
                generation,
                now_iso(),
            ),
        )

    return unit


def page_unit(
    b: Binding,
    items: list[tuple[Any, ...]],
    owned: list[tuple[Any, ...]],
    generation: int,
    cursor: str | None,
) -> Any:
    async def unit(conn: aiosqlite.Connection) -> None:
        now = now_iso()
        await conn.executemany(_UPSERT_ITEM, items)
        await conn.executemany(_UPSERT_OWNED, [(*r, generation, now) for r in owned])
        await conn.execute(
            "UPDATE media_scan_state SET cursor = ?, items = items + ?, pages = pages + 1"
            " WHERE instance_id = ? AND library_id = ?",
            (cursor, len(items), b.instance_id, b.library_id),
        )

    return unit


def finish_unit(b: Binding, generation: int) -> Any:
    key = (b.instance_id, b.library_id)

    async def unit(conn: aiosqlite.Connection) -> None:
        now = now_iso()
        await conn.execute(
            "DELETE FROM media_items WHERE instance_id = ? AND library_id = ? AND generation < ?",
            (*key, generation),
        )
        await conn.execute(
            "UPDATE media_ownership SET state = 'missing', path = NULL, updated_at = ?"
            " WHERE instance_id = ? AND library_id = ? AND state = 'owned' AND generation < ?",
            (now, *key, generation),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO media_ownership(library_id, work, season, episode,"
            " instance_id, state, path, generation, updated_at)"
            " SELECT DISTINCT o.library_id, o.work, em.tvdb_season, em.tvdb_episode,"
            " o.instance_id, 'missing', NULL, ?, ?"
            " FROM (SELECT DISTINCT library_id, work, instance_id FROM media_ownership"
            "   WHERE instance_id = ? AND library_id = ? AND state = 'owned'"
            "   AND work LIKE 'tvdb:%') o"
            " JOIN series_mappings sm ON sm.tvdb_id = CAST(substr(o.work, 6) AS INTEGER)"
            f" AND sm.status IN {GOOD}"
            " JOIN episode_mappings em ON em.title_id = sm.title_id"
            f" AND em.status IN {GOOD} AND em.tvdb_season IS NOT NULL",
            (generation, now, *key),
        )
        await conn.execute(
            "UPDATE media_scan_state SET status = 'complete', complete = 1, cursor = NULL,"
            " finished_at = ?, last_complete_at = ?, attempts = 0, next_attempt_at = NULL,"
            " last_error = NULL WHERE instance_id = ? AND library_id = ?",
            (now, now, *key),
        )

    return unit


def fail_unit(b: Binding, error: PluginError, status: str) -> Any:
    connection = CONNECTION_BY_CODE.get(error.code, "degraded")

    async def unit(conn: aiosqlite.Connection) -> None:
        row = await conn.execute_fetchall(
            "SELECT attempts FROM media_scan_state WHERE instance_id = ? AND library_id = ?",
            (b.instance_id, b.library_id),
        )
        attempts = (int(list(row)[0][0]) if row else 0) + 1
        base = error.retry_after or policy_for(error.code).stage_backoff_seconds or 300.0
        delay = min(base * 2 ** min(attempts - 1, 8), MAX_BACKOFF_SECONDS)
        next_at = iso(utcnow() + timedelta(seconds=delay))
        await conn.execute(
            "INSERT INTO media_scan_state(instance_id, library_id, server_library, status,"
            " connection, attempts, next_attempt_at, last_error, finished_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(instance_id, library_id) DO UPDATE"
            " SET status = excluded.status, connection = excluded.connection,"
            " attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,"
            " last_error = excluded.last_error, finished_at = excluded.finished_at",
            (
                b.instance_id,
                b.library_id,
                b.server_library,
                status,
                connection,
                attempts,
                next_at,
                f"{error.code.value}: {error.message}",
                now_iso(),
            ),
        )

    return unit


async def record_unreachable(writer: Writer, binding: Binding, error: PluginError) -> ScanOutcome:
    """A binding whose server failed ``check_connection``: state recorded, nothing pulled."""
    await writer.run(fail_unit(binding, error, "failed"), label="media.scan.fail")
    return ScanOutcome(
        binding.instance,
        binding.library,
        "failed",
        error_code=error.code.value,
        error=error.message,
    )
