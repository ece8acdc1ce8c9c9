"""A library's wanted lists and recommendations on the web UI: read with the very functions their
admin API routes call (:mod:`anibridge_like.api.wanted`, :func:`library_recommendations`), and
a recommendation dismissed with the same writer unit as ``POST …/recommendations/{work}/dismiss``.
"""

from __future__ import annotations

from typing import Any

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from anibridge_like.api.recommendations import WORK_ID
from anibridge_like.api.wanted import _read as wanted_report
from anibridge_like.catalog.state import now_iso
from anibridge_like.context import AppContext
from anibridge_like.recommendations.merge import dismiss_unit, library_recommendations
from anibridge_like.storage.database import run_sync
from anibridge_like.sync.scope import library_by_slug

log = structlog.get_logger(__name__)


async def wanted_and_recommendations(
    ctx: AppContext, slug: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``GET …/wanted`` and ``GET …/recommendations`` bodies of library ``slug`` (None, None
    for an unknown library)."""
    library = await library_by_slug(ctx.readers, slug)
    if library is None:
        return None, None
    async with ctx.readers.connection() as conn:
        wanted = await run_sync(conn, wanted_report, library, False)
        recommended = await run_sync(conn, library_recommendations, library)
    return wanted, recommended


async def wanted_count(ctx: AppContext, slug: str) -> int | None:
    """How many entries the library's wanted lists hold (None: no list syncs into it)."""
    library = await library_by_slug(ctx.readers, slug)
    if library is None:
        return None
    async with ctx.readers.connection() as conn:
        report = await run_sync(conn, wanted_report, library, False)
    return len(report["items"]) if report["sources"] or report["items"] else None


async def dismiss(request: Request, ctx: AppContext, form: FormData) -> Response:
    slug = request.path_params["slug"]
    work = request.path_params["work_id"]
    library = await library_by_slug(ctx.readers, slug)
    if library is None or not WORK_ID.match(work):
        return RedirectResponse(f"/libraries/{slug[:60]}?notice=not-dismissed", status_code=303)
    await ctx.writer.run(
        dismiss_unit(library.id, work, now_iso()), label="web.recommendation_dismiss"
    )
    log.info("web.recommendation_dismissed", library=slug, work=work)
    return RedirectResponse(f"/libraries/{slug}?notice=dismissed", status_code=303)
