"""The request log: one structlog line per HTTP request (``http.request``).

Fields: ``method``, ``path``, ``params`` (the query without ``apikey``/``api_key``), ``status``,
``ms`` and what the route recorded in the request's state (``items`` of a Torznab feed, the
``library``, a Newznab ``error``). Secrets never reach it: keys are dropped from the parameters
and headers are not logged. Health probes (``/health…``, polled by Docker every 30 s) log at
debug; everything else at info (``ANIBRIDGE_REQUEST_LOG=false``: debug too).

A pure ASGI middleware (no ``BaseHTTPMiddleware``: it would buffer bodies and cost a task per
request).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anibridge_like.jobs.pacing import ServingActivity

log = structlog.get_logger("anibridge_like.http")

SECRET_PARAMS = frozenset({"apikey", "api_key", "key", "password", "token"})
QUIET_PREFIXES = ("/health",)
LOGGED_STATE = ("library", "items", "error")
"""Keys a route may put in ``request.state`` for the request line."""
MAX_PARAM_CHARS = 200
SERVED_FIRST = ("/torznab",)
"""The requests background work yields to (:class:`ServingActivity`): Torznab answers, which
the *arr apps and Prowlarr wait on. Health probes, the web pages' progress polling and the admin
and download-client APIs do not pause indexing (a progress page would slow what it watches)."""


def loggable_params(query_string: bytes) -> dict[str, str]:
    """The query parameters without secrets, each value cut to a sane length."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return {
        name: value[:MAX_PARAM_CHARS] for name, value in pairs if name.lower() not in SECRET_PARAMS
    }


class RequestLog:
    def __init__(
        self, app: ASGIApp, *, info: bool = True, activity: ServingActivity | None = None
    ) -> None:
        self.app = app
        self.info = info
        self.activity = activity
        """Kept up to date for background work that yields to requests (jobs/pacing.py)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        activity = self.activity
        if activity is not None and not str(scope.get("path", "")).startswith(SERVED_FIRST):
            activity = None
        if activity is not None:
            activity.started()
        try:
            await self.app(scope, receive, send_status)
        finally:
            if activity is not None:
                activity.ended()
            self._log(scope, status, started)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        path = str(scope.get("path", ""))
        fields: dict[str, Any] = {
            "method": scope.get("method"),
            "path": path,
            "params": loggable_params(scope.get("query_string", b"")),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
        state = scope.get("state") or {}
        for key in LOGGED_STATE:
            if key in state:
                fields[key] = state[key]
        quiet = not self.info or path.startswith(QUIET_PREFIXES)
        if quiet:
            log.debug("http.request", **fields)
        else:
            log.info("http.request", **fields)
