"""``GET /stream/{token}``: what a ``.strm`` file points at.

Each play verifies the token's HMAC (no API key involved), reads the episode's hoster links (kept
briefly, refreshed when every hoster fails) and resolves a hoster afresh — hoster media URLs
expire, so nothing is stored. A media source that needs no headers is answered with a 302 to it
(the player fetches the hoster directly); one that needs headers (``Referer``) is proxied, the
client's ``Range`` passed through, so players can seek.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import structlog
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from anibridge_like.context import AppContext
from anibridge_like.downloads.hosting import order_links
from anibridge_like.downloads.tokens import BadToken, verify
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.host import MediaSource

log = structlog.get_logger(__name__)
_PASS_HEADERS = ("content-type", "content-length", "content-range", "accept-ranges")


async def stream(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    service = ctx.services.get("downloads")
    if service is None or service.deps is None:
        return PlainTextResponse("the download service is not running", status_code=503)
    try:
        ref = verify(service.stream_key, request.path_params["token"])
    except BadToken as exc:
        return PlainTextResponse(str(exc), status_code=403)
    deps = service.deps
    errors: list[str] = []
    for refresh in (False, True):
        try:
            links = await deps.links.links(ref, refresh=refresh)
        except PluginError as exc:
            return PlainTextResponse(f"hoster links of {ref}: {exc.message}", status_code=502)
        for link in order_links(links, ctx.settings.download_host_order):
            try:
                media = await deps.hosters.resolve(link)
            except PluginError as exc:
                errors.append(f"{link.hoster}: {exc.message}")
                continue
            log.info("stream.play", episode=str(ref), hoster=link.hoster)
            if not media.headers or media.protocol == "hls":
                return RedirectResponse(media.url, status_code=302)
            try:
                return await _proxy(ctx.http, media, request.headers.get("range"))
            except (httpx.HTTPError, _UpstreamRefused) as exc:
                errors.append(f"{link.hoster}: media request failed: {exc}")
    return PlainTextResponse(
        "no hoster plays " + str(ref) + ": " + "; ".join(errors[-6:]), status_code=502
    )


class _UpstreamRefused(Exception):
    """The hoster answered the media request with an error status."""


async def _proxy(
    client: httpx.AsyncClient, media: MediaSource, range_header: str | None
) -> Response:
    headers = dict(media.headers)
    if range_header:
        headers["Range"] = range_header
    upstream = await client.send(
        client.build_request("GET", media.url, headers=headers),
        stream=True,
        follow_redirects=True,
    )
    if upstream.status_code >= 400 and upstream.status_code != 416:
        await upstream.aclose()
        raise _UpstreamRefused(f"HTTP {upstream.status_code}")

    async def body() -> AsyncIterator[bytes]:
        async for chunk in upstream.aiter_raw():
            yield chunk

    passed = {k: v for k, v in upstream.headers.items() if k.lower() in _PASS_HEADERS}
    return StreamingResponse(
        body(),
        status_code=upstream.status_code,
        headers=passed,
        background=BackgroundTask(upstream.aclose),
    )


routes: list[BaseRoute] = [Route("/stream/{token}", stream, methods=["GET", "HEAD"])]
