"""Media-server routes (admin key required):

- ``GET /api/v1/libraries/{slug}/gaps`` (``?work=tvdb:267440``, ``offset``, ``limit``): what the
  user owns of each work in the library, what is missing, and in which of the library's languages
  the index has it (see :mod:`anibridge_like.mediaservers.gaps`);
- ``GET /api/v1/media-servers``: each instance's connection and its bindings' last scans.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.api.auth import require_admin
from anibridge_like.context import AppContext
from anibridge_like.mediaservers.gaps import MAX_LIMIT, UnknownLibraryError, gap_report
from anibridge_like.mediaservers.resolve import work_filter
from anibridge_like.mediaservers.status import media_server_states
from anibridge_like.storage.database import run_sync


def _int(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= high:
        raise HTTPException(400, f"{name} must be an integer from 0 to {high}, got {raw!r}")
    return int(raw)


async def library_gaps(request: Request) -> JSONResponse:
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    slug = request.path_params["slug"]
    work = request.query_params.get("work")
    if work is not None:
        try:
            work_filter(work)
        except ValueError:
            raise HTTPException(
                400, f"work must look like tvdb:<id>, tmdb:<id> or imdb:tt<id>, got {work!r}"
            ) from None
    offset = _int(request, "offset", 0, 10**9)
    limit = _int(request, "limit", 100, MAX_LIMIT)
    async with ctx.readers.connection() as conn:
        try:
            report = await run_sync(conn, gap_report, slug, work, offset, limit)
        except UnknownLibraryError:
            raise HTTPException(404, f"no library {slug!r}") from None
    return JSONResponse(report)


async def media_servers(request: Request) -> JSONResponse:
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    return JSONResponse({"media_servers": await media_server_states(ctx.readers)})


routes = [
    Route("/api/v1/libraries/{slug}/gaps", library_gaps, methods=["GET"]),
    Route("/api/v1/media-servers", media_servers, methods=["GET"]),
]
