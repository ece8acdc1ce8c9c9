"""Wanted lists per library (admin key required).

==========================================  ======  ==========================================
route                                       status  body
==========================================  ======  ==========================================
``GET /api/v1/libraries/{slug}/wanted``     200     ``{library, items: [...], sources: [...]}``
                                            404     unknown library
``POST /api/v1/libraries/{slug}/wanted/``   202     ``{started: [instance], running: [...]}``
``sync``                                    409     every sync instance of it is running
                                            404     unknown library or no sync instance
==========================================  ======  ==========================================

``?removed=1`` also lists entries gone from their list (``removed_at`` set). Each item names its
source instance, its list status, ids, and the catalog titles it is linked to.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.api.auth import require_admin
from anibridge_like.context import AppContext
from anibridge_like.storage.database import run_sync
from anibridge_like.sync.runner import sync_instance
from anibridge_like.sync.scope import LibraryRow, instances_serving, library_by_slug
from anibridge_like.sync.service import service_of

_ITEMS = (
    "SELECT w.id, p.name AS instance, p.implementation, w.external_id, w.kind, w.title, w.year,"
    " w.list_status, w.tvdb_id, w.tmdb_id, w.imdb_id, w.anilist_id, w.mal_id, w.first_seen,"
    " w.last_seen, w.removed_at,"
    " (SELECT json_group_array(json_object('id', t.id, 'site', t.site, 'slug', t.slug,"
    "   'title', t.title)) FROM wanted_links l JOIN titles t ON t.id = l.title_id"
    "  WHERE l.wanted_id = w.id) AS titles"
    " FROM wanted_items w JOIN plugin_instances p ON p.id = w.instance_id"
    " WHERE w.library_id = ? {removed} ORDER BY w.title, p.name, w.external_id"
)
_SOURCES = (
    "SELECT p.name, p.implementation, p.enabled, s.status, s.items, s.last_run_at,"
    " s.last_complete_at, s.next_attempt_at, s.last_error_code, s.last_error, s.cursor"
    " FROM wanted_sync_state s JOIN plugin_instances p ON p.id = s.instance_id"
    " WHERE s.library_id = ? ORDER BY p.name"
)
_IDS = ("tvdb_id", "tmdb_id", "imdb_id", "anilist_id", "mal_id")


def _read(conn: sqlite3.Connection, library: LibraryRow, removed: bool) -> dict[str, Any]:
    sql = _ITEMS.format(removed="" if removed else "AND w.removed_at IS NULL")
    items = [
        {
            "external_id": r["external_id"],
            "instance": r["instance"],
            "plugin": r["implementation"],
            "kind": r["kind"],
            "title": r["title"],
            "year": r["year"],
            "list_status": r["list_status"],
            "ids": {k[:-3]: r[k] for k in _IDS if r[k] is not None},
            "first_seen": r["first_seen"],
            "last_seen": r["last_seen"],
            "removed": r["removed_at"] is not None,
            "removed_at": r["removed_at"],
            "titles": sorted(json.loads(r["titles"]), key=lambda t: t["id"]),
        }
        for r in conn.execute(sql, (library.id,))
    ]
    sources = [
        {
            "instance": r["name"],
            "plugin": r["implementation"],
            "enabled": bool(r["enabled"]),
            "status": r["status"],
            "items": r["items"],
            "last_run_at": r["last_run_at"],
            "last_complete_at": r["last_complete_at"],
            "next_attempt_at": r["next_attempt_at"],
            "last_error_code": r["last_error_code"],
            "last_error": r["last_error"],
            "resumes_from_cursor": r["cursor"] is not None,
        }
        for r in conn.execute(_SOURCES, (library.id,))
    ]
    return {"library": library.slug, "items": items, "sources": sources}


async def _library(request: Request) -> tuple[AppContext, LibraryRow | None]:
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    return ctx, await library_by_slug(ctx.readers, request.path_params["slug"])


def _unknown(request: Request) -> JSONResponse:
    slug = request.path_params["slug"][:60]
    return JSONResponse({"error": f"no library named {slug!r}"}, status_code=404)


async def list_wanted(request: Request) -> JSONResponse:
    """A library's wanted lists

    Every entry with its source instance, list status, ids and the catalog titles it is linked
    to, and each sync instance's state; `?removed=1` adds entries gone from their list."""
    ctx, library = await _library(request)
    if library is None:
        return _unknown(request)
    removed = request.query_params.get("removed", "0").lower() in ("1", "true", "yes")
    async with ctx.readers.connection() as conn:
        body = await run_sync(conn, _read, library, removed)
    return JSONResponse(body)


async def start_sync(request: Request) -> JSONResponse:
    """Sync a library's wanted lists now

    One run per enabled sync instance serving the library (202 with the started and the already
    running ones); 409 when every one is running."""
    ctx, library = await _library(request)
    if library is None:
        return _unknown(request)
    names = await instances_serving(ctx.readers, library.id, "sync")
    if not names:
        return JSONResponse({"error": "no enabled sync instance serves it"}, status_code=404)
    service = service_of(ctx)
    started: list[str] = []
    running: list[str] = []
    for name in names:

        async def run(name: str = name) -> Any:
            return await sync_instance(ctx, name, library.slug, manual=True)

        (started if service.start(("sync", library.slug, name), run) else running).append(name)
    status = 409 if not started else 202
    return JSONResponse({"started": started, "running": running}, status_code=status)


routes = [
    Route("/api/v1/libraries/{slug}/wanted", list_wanted, methods=["GET"]),
    Route("/api/v1/libraries/{slug}/wanted/sync", start_sync, methods=["POST"]),
]
