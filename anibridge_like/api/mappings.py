"""Admin routes for a title's canonical mapping (admin key required).

=======  ======================================  ================================================
method   path                                    answer
=======  ======================================  ================================================
GET      /api/v1/titles/{site}/{slug}/mapping    200 the series mapping, the override, episode
                                                 mapping counts and conflicts; 404 unknown title
PUT      /api/v1/titles/{site}/{slug}/mapping    200 after pinning (body: the override's fields,
                                                 see :class:`~anibridge_like.catalog.overrides.
                                                 MappingOverride`); 422 with the issues
DELETE   /api/v1/titles/{site}/{slug}/mapping    204 after unpinning; 404 when none exists
=======  ======================================  ================================================

A PUT pins at once (the series mapping is ``confirmed`` with the given ids and never overwritten
by enrichment); the episodes are mapped against the pinned series by the next canonical run.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anibridge_like.api.auth import require_admin
from anibridge_like.api.limits import json_depth_problem
from anibridge_like.catalog.overrides import (
    MappingOverride,
    delete_override,
    override_from_row,
    put_override,
)

_MAPPING_COLUMNS = (
    "status",
    "score",
    "source",
    "reason",
    "tvdb_id",
    "tmdb_id",
    "imdb_id",
    "anilist_id",
    "mal_id",
    "canonical_title",
    "canonical_year",
    "pinned",
    "updated_at",
)


async def mapping_view(conn: aiosqlite.Connection, site: str, slug: str) -> dict[str, Any] | None:
    """Everything the API shows about one title's mapping (``None``: unknown title)."""
    titles = list(
        await conn.execute_fetchall(
            "SELECT t.id, t.title, t.kind, t.year, ts.canonical_status, ts.canonical_ok_at,"
            " ts.canonical_error FROM titles t LEFT JOIN title_state ts ON ts.title_id = t.id"
            " WHERE t.site = ? AND t.slug = ?",
            (site, slug),
        )
    )
    overrides = list(
        await conn.execute_fetchall(
            "SELECT * FROM mapping_overrides WHERE site = ? AND slug = ?", (site, slug)
        )
    )
    if not titles and not overrides:
        return None
    override = None
    if overrides:
        model = override_from_row(overrides[0])
        override = {
            **model.model_dump(mode="json"),
            "origin": overrides[0]["origin"],
            "updated_at": overrides[0]["updated_at"],
        }
    view: dict[str, Any] = {
        "site": site,
        "slug": slug,
        "indexed": bool(titles),
        "override": override,
        "mapping": None,
    }
    if not titles:
        return view
    t = titles[0]
    view.update(
        title_id=t["id"],
        title=t["title"],
        kind=t["kind"],
        year=t["year"],
        state={
            "canonical_status": t["canonical_status"],
            "canonical_ok_at": t["canonical_ok_at"],
            "canonical_error": t["canonical_error"],
        },
    )
    rows = list(
        await conn.execute_fetchall(
            "SELECT " + ", ".join(_MAPPING_COLUMNS) + " FROM series_mappings WHERE title_id = ?",
            (t["id"],),
        )
    )
    if rows:
        view["mapping"] = {c: rows[0][c] for c in _MAPPING_COLUMNS}
        view["mapping"]["pinned"] = bool(rows[0]["pinned"])
    counts = await conn.execute_fetchall(
        "SELECT status, method, count(*) FROM episode_mappings WHERE title_id = ?"
        " GROUP BY status, method",
        (t["id"],),
    )
    by_status: dict[str, int] = {}
    by_method: dict[str, int] = {}
    for status, method, n in counts:
        by_status[status] = by_status.get(status, 0) + n
        by_method[method] = by_method.get(method, 0) + n
    conflicts = await conn.execute_fetchall(
        "SELECT e.season, e.number, m.tvdb_season, m.tvdb_episode, m.reason"
        " FROM episode_mappings m JOIN episodes e ON e.id = m.episode_id"
        " WHERE m.title_id = ? AND m.status = 'conflict' ORDER BY e.season, e.number LIMIT 100",
        (t["id"],),
    )
    view["episodes"] = {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_method": by_method,
        "conflicts": [
            dict(
                zip(
                    ("season", "number", "tvdb_season", "tvdb_episode", "reason"),
                    tuple(r),
                    strict=True,
                )
            )
            for r in conflicts
        ],
    }
    return view


async def get_mapping(request: Request) -> Response:
    """Show the canonical mapping of a title and its pinned override"""
    require_admin(request)
    ctx = request.app.state.ctx
    site, slug = request.path_params["site"], request.path_params["slug"]
    async with ctx.readers.connection() as conn:
        view = await mapping_view(conn, site, slug)
    if view is None:
        return JSONResponse({"error": f"no title {site}/{slug}"}, status_code=404)
    return JSONResponse(view)


async def put_mapping(request: Request) -> Response:
    """Pin a canonical mapping of a title

    Body: the override fields (tvdb_id, tmdb_id, imdb_id, …); 422 names invalid ones."""
    require_admin(request)
    ctx = request.app.state.ctx
    site, slug = request.path_params["site"], request.path_params["slug"]
    raw = await request.body()
    too_deep = json_depth_problem(raw, ctx.settings.max_json_depth)
    if too_deep is not None:
        return JSONResponse({"error": too_deep}, status_code=400)
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        return JSONResponse({"error": f"body is not JSON: {exc}"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    for key, value in (("site", site), ("slug", slug)):
        if key in body and body[key] != value:
            return JSONResponse(
                {"error": f"body {key} {body[key]!r} differs from the path"}, status_code=422
            )
    try:
        override = MappingOverride.model_validate({**body, "site": site, "slug": slug})
    except ValidationError as exc:
        issues = [
            {"loc": ".".join(str(p) for p in err["loc"]), "msg": err["msg"]}
            for err in exc.errors(include_input=False, include_url=False)
        ]
        return JSONResponse({"error": "invalid override", "issues": issues}, status_code=422)

    async def unit(conn: aiosqlite.Connection) -> dict[str, Any] | None:
        await put_override(conn, override)
        return await mapping_view(conn, site, slug)

    view = await ctx.writer.run(unit, label="mapping.put")
    return JSONResponse(view)


async def delete_mapping(request: Request) -> Response:
    """Remove the pinned override of a title (204; 404 when there is none)"""
    require_admin(request)
    ctx = request.app.state.ctx
    site, slug = request.path_params["site"], request.path_params["slug"]

    async def unit(conn: aiosqlite.Connection) -> bool:
        return await delete_override(conn, site, slug)

    if not await ctx.writer.run(unit, label="mapping.delete"):
        return JSONResponse({"error": f"no override for {site}/{slug}"}, status_code=404)
    return Response(status_code=204)


routes: list[Route] = [
    Route("/api/v1/titles/{site}/{slug}/mapping", get_mapping, methods=["GET"]),
    Route("/api/v1/titles/{site}/{slug}/mapping", put_mapping, methods=["PUT"]),
    Route("/api/v1/titles/{site}/{slug}/mapping", delete_mapping, methods=["DELETE"]),
]
