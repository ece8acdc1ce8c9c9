"""Recommendations per library (admin key required).

===================================================  ======  ===================================
route                                                status  body
===================================================  ======  ===================================
``GET /api/v1/libraries/{slug}/recommendations``     200     ``{recommendations, sources}``
                                                             (:mod:`~anibridge_like.
                                                             recommendations.merge`)
``POST …/recommendations/refresh``                   202     ``{started, running}``: a run per
                                                             enabled instance in scope
                                                     409     every one of them already running
                                                     404     unknown library / no instance
``POST …/recommendations/{work_id}/dismiss``         200     ``{dismissed, was_recommended}``
                                                     400     not a work id (``tvdb:81797``)
===================================================  ======  ===================================
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.api.auth import require_admin
from anibridge_like.catalog.state import now_iso
from anibridge_like.context import AppContext
from anibridge_like.recommendations.merge import dismiss_unit, library_recommendations
from anibridge_like.recommendations.refresh import refresh_instance
from anibridge_like.storage.database import run_sync
from anibridge_like.sync.scope import LibraryRow, instances_serving, library_by_slug
from anibridge_like.sync.service import service_of

WORK_ID = re.compile(r"^(tvdb|tmdb|anilist|mal):[1-9][0-9]{0,11}$|^imdb:tt[0-9]{5,12}$")


async def _library(request: Request) -> tuple[AppContext, LibraryRow | None]:
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    return ctx, await library_by_slug(ctx.readers, request.path_params["slug"])


def _unknown(request: Request) -> JSONResponse:
    slug = request.path_params["slug"][:60]
    return JSONResponse({"error": f"no library named {slug!r}"}, status_code=404)


async def get_recommendations(request: Request) -> JSONResponse:
    """A library's recommendations

    Merged across recommendation instances by canonical work (highest score, reasons combined,
    sources listed), only works indexed and available in one of the library's languages, each
    with its languages and episode counts; `sources` tells when each instance last ran."""
    ctx, library = await _library(request)
    if library is None:
        return _unknown(request)
    async with ctx.readers.connection() as conn:
        body = await run_sync(conn, library_recommendations, library)
    service = service_of(ctx)
    for source in body["sources"]:
        source["running"] = service.running(("recommendations", library.slug, source["instance"]))
    return JSONResponse(body)


async def refresh(request: Request) -> JSONResponse:
    """Refresh a library's recommendations now

    One run per enabled recommendation instance serving the library (202); 409 only when every
    one is already running."""
    ctx, library = await _library(request)
    if library is None:
        return _unknown(request)
    names = await instances_serving(ctx.readers, library.id, "recommendation")
    if not names:
        return JSONResponse(
            {"error": "no enabled recommendation instance serves it"}, status_code=404
        )
    service = service_of(ctx)
    started: list[str] = []
    running: list[str] = []
    for name in names:

        async def run(name: str = name) -> Any:
            return await refresh_instance(ctx, name, library.slug)

        key = ("recommendations", library.slug, name)
        (started if service.start(key, run) else running).append(name)
    return JSONResponse(
        {"started": started, "running": running}, status_code=202 if started else 409
    )


async def dismiss(request: Request) -> JSONResponse:
    """Dismiss a recommended work

    The work (`tvdb:81797`, `imdb:tt0133093` …) is removed from every instance's list and stays
    hidden after later refreshes."""
    ctx, library = await _library(request)
    if library is None:
        return _unknown(request)
    work = request.path_params["work_id"]
    if not WORK_ID.match(work):
        return JSONResponse(
            {"error": f"not a work id: {work[:60]!r} (want e.g. tvdb:81797, imdb:tt0133093)"},
            status_code=400,
        )
    was = await ctx.writer.run(
        dismiss_unit(library.id, work, now_iso()), label="recommendations.dismiss"
    )
    return JSONResponse({"dismissed": work, "was_recommended": was})


routes = [
    Route("/api/v1/libraries/{slug}/recommendations", get_recommendations, methods=["GET"]),
    Route("/api/v1/libraries/{slug}/recommendations/refresh", refresh, methods=["POST"]),
    Route("/api/v1/libraries/{slug}/recommendations/{work_id}/dismiss", dismiss, methods=["POST"]),
]
