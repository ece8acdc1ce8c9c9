"""Torznab endpoints: ``GET /torznab/api`` (every library the key opens) and
``GET /torznab/{library}/api`` (one library's categories, languages and instances).

The *arr apps build a request as ``{URL}{API Path}`` with API Path ``/api`` by default, so the URL
to paste is ``http://host:8000/torznab/<library>`` (what the banner prints). A user who pastes the
full ``…/api`` address gets ``…/api/api``: both forms are answered the same.

This module is the one boundary of a Torznab request: a :class:`TorznabError` becomes its answer
from the table in :mod:`anibridge_like.torznab.errors`; anything else is logged with the request's
context and answered ``900`` at HTTP 200 — never a 5xx from a bug.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from anibridge_like.catalog.state import iso, utcnow
from anibridge_like.settings import Settings
from anibridge_like.torznab.access import Library, select_libraries
from anibridge_like.torznab.caps import render_caps
from anibridge_like.torznab.errors import TorznabError, error_response, unknown_error_response
from anibridge_like.torznab.params import parse_params
from anibridge_like.torznab.render import RSS_MEDIA_TYPE, XML_MEDIA_TYPE, render_feed
from anibridge_like.torznab.search import search

log = structlog.get_logger(__name__)

SERVER_TITLE = "anibridge-like"


def wanted_since(settings: Settings) -> str | None:
    """Releases of wanted titles newer than this lead the no-query feed."""
    return iso(utcnow() - timedelta(hours=settings.wanted_rss_recent_hours))


def _title(libraries: list[Library], slug: str | None) -> str:
    if slug is not None and libraries:
        return f"{SERVER_TITLE} ({libraries[0].name})"
    return SERVER_TITLE


async def _answer(request: Request, slug: str | None) -> Response:
    ctx = request.app.state.ctx
    key = ctx.settings.api_key
    global_key = key.get_secret_value() or None if key is not None else None
    presented = request.query_params.get("apikey") or None
    libraries = select_libraries(ctx.libraries, slug, presented, global_key)
    params = parse_params(request.query_params)
    title = _title(libraries, slug)
    if params.t == "caps":
        return Response(render_caps(title, tuple(libraries)), media_type=XML_MEDIA_TYPE)
    async with ctx.readers.connection() as conn:
        releases = await search(conn, libraries, params, wanted_since(ctx.settings))
    link = str(request.url.replace(query=""))
    body = render_feed(title, link, releases)
    request.state.items = len(releases)  # the request log's line carries it
    return Response(body, media_type=RSS_MEDIA_TYPE)


async def _api(request: Request, slug: str | None) -> Response:
    request.state.library = slug or "*"
    try:
        return await _answer(request, slug)
    except TorznabError as exc:
        request.state.error = str(exc)  # logged on the request's line (api/requestlog.py)
        return error_response(exc)
    except Exception:
        log.exception(
            "torznab.unexpected_error",
            library=slug or "*",
            query=request.url.query[:500],
        )
        return unknown_error_response()


async def api_all(request: Request) -> Response:
    return await _api(request, None)


async def api_library(request: Request) -> Response:
    return await _api(request, str(request.path_params["library"]))


routes: list[BaseRoute] = [
    Route("/torznab/api", api_all, methods=["GET"], name="torznab_all"),
    # before {library}/api, which would read "/torznab/api/api" as a library named "api"
    Route("/torznab/api/api", api_all, methods=["GET"], name="torznab_all_doubled"),
    Route("/torznab/{library}/api", api_library, methods=["GET"], name="torznab_library"),
    Route(
        "/torznab/{library}/api/api", api_library, methods=["GET"], name="torznab_library_doubled"
    ),
]
