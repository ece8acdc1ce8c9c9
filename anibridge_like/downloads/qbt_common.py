"""What every qBittorrent API handler shares: the session check, parameter parsing and the
mapping of bad input to 400 (:func:`endpoint`), and the context helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from anibridge_like.context import AppContext
from anibridge_like.downloads.forms import Params, read_params
from anibridge_like.downloads.paths import DownloadInputError
from anibridge_like.downloads.session import Sessions

Handler = Callable[[Request, AppContext, Params], Awaitable[Response]]


def sessions_of(ctx: AppContext) -> Sessions:
    found = ctx.services.get("qbt_sessions")
    if found is None:
        found = ctx.services["qbt_sessions"] = Sessions(ctx.settings)
    assert isinstance(found, Sessions)
    return found


def text(body: str, status: int = 200) -> Response:
    return PlainTextResponse(body, status_code=status)


def endpoint(handler: Handler, *, auth: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def call(request: Request) -> Response:
        ctx: AppContext = request.app.state.ctx
        sessions = sessions_of(ctx)
        refusal = sessions.refusal()
        if refusal is not None:
            return text(refusal, 403)
        if auth and not sessions.allowed(request.cookies.get("SID")):
            return text("Forbidden", 403)
        try:
            params = await read_params(request)
            return await handler(request, ctx, params)
        except DownloadInputError as exc:
            return text(str(exc), 400)

    return call


def download_root(ctx: AppContext) -> Path:
    root = ctx.settings.resolved_download_dir
    root.mkdir(parents=True, exist_ok=True)
    return root


def service_of(ctx: AppContext) -> Any:
    """The running download service (None when services are off)."""
    return ctx.services.get("downloads")
