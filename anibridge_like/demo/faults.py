"""Fault injection for the fake sites: what can go wrong, when, and how a site app applies it.

A :class:`FaultController` holds a list of :class:`Fault` rules and per-path request counters. A
site app built with :func:`fault_middleware` consults it on every request:

================  ===============================================================================
kind              effect on a matching request
================  ===============================================================================
rate_limit        ``429`` with ``Retry-After: <retry_after>``; the controller counts requests that
                  arrive while a window it announced is still open
                  (:attr:`FaultController.inside_window`)
server_error      ``<status>`` (default 500) with a short HTML error page
slow              wait ``delay`` seconds before answering (``where="body"``: send the first
                  ``keep`` share of the body, then wait, then the rest), so a short client
                  timeout trips
truncate          cut the body after the ``keep`` share (well-framed: the HTML just ends)
layout            the renderer switches to a changed layout (parsers must raise invalid_data)
drop_titles       the listing omits a deterministic ``share`` of its titles
challenge         ``200`` with a token-gate stub page (a JS shim that calls ``/index.php?yg=token``
                  and reloads, as megakino serves it) instead of the document
soft_404          ``200`` with a "page not found" HTML page instead of the document
================  ===============================================================================

Each rule has an optional ``path`` glob (``fnmatch``, e.g. ``/anime/stream/*``), an optional
``count`` (apply to that many matching requests, then retire), ``skip`` (let that many matching
requests pass first) and ``every`` (apply to every N-th matching request only). Rules are set
in-process (``faults.add("rate_limit", path=..., count=2)``, ``faults.clear()``) or over HTTP on
the running fake (``POST /__faults`` with one rule or a list as JSON, ``GET``/``DELETE
/__faults``; ``GET``/``DELETE /__counters``), so loopback servers in other processes can be
driven too. The controller is thread-safe (servers may run in a thread).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, get_args

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "slow",
    "truncate",
    "layout",
    "drop_titles",
    "challenge",
    "soft_404",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
CONTROL_PATHS = ("/__faults", "/__counters")


@dataclass
class Fault:
    """One fault rule (see the module docstring for the kinds)."""

    kind: FaultKind
    path: str | None = None
    count: int | None = None
    skip: int = 0
    retry_after: float = 1.0
    status: int = 500
    delay: float = 2.0
    where: Literal["before", "body"] = "before"
    keep: float = 0.5
    share: float = 0.2
    every: int = 0
    """Apply to every ``every``-th matching request only (0 = each one)."""
    id: int = 0
    seen: int = 0
    """Matching requests so far (skipped ones included)."""
    applied: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(FAULT_KINDS)})")
        if not 0.0 <= self.keep <= 1.0 or not 0.0 <= self.share <= 1.0:
            raise ValueError("keep and share must lie within 0..1")

    def matches(self, path: str) -> bool:
        return self.path is None or fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.applied >= self.count


@dataclass(frozen=True, slots=True)
class RenderFaults:
    """What a renderer must do differently for the current request."""

    layout: bool = False
    drop_share: float = 0.0

    def keeps(self, index: int) -> bool:
        """Whether the listing keeps title ``index`` (deterministic, about ``1 - drop_share``)."""
        if self.drop_share <= 0.0:
            return True
        return ((index * 2654435761) % 4294967296) / 4294967296 >= self.drop_share


NO_RENDER_FAULTS = RenderFaults()


@dataclass
class Applied:
    """The faults that apply to one request."""

    status: Fault | None = None
    slow: Fault | None = None
    truncate: Fault | None = None
    render: RenderFaults = field(default_factory=RenderFaults)


class FaultController:
    """Thread-safe fault rules + request counters of one fake site."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._counters: Counter[str] = Counter()
        self._window_until = 0.0
        self.inside_window = 0
        """Requests that arrived while a Retry-After window this site announced was open."""
        self.rate_limited = 0
        """429 answers sent."""

    # ---- rules --------------------------------------------------------------------------
    def add(self, kind: FaultKind, **params: Any) -> Fault:
        fault = Fault(kind, **params)
        with self._lock:
            fault.id = next(self._ids)
            self._faults.append(fault)
        return fault

    def add_json(self, data: dict[str, Any] | list[dict[str, Any]]) -> list[Fault]:
        items = data if isinstance(data, list) else [data]
        allowed = {"kind", "path", "count", "skip", "retry_after", "status", "delay", "where"}
        allowed |= {"keep", "share", "every"}
        out = []
        for item in items:
            unknown = set(item) - allowed
            if unknown:
                raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
            params = dict(item)
            out.append(self.add(params.pop("kind"), **params))
        return out

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str) -> Applied:
        """Count the request and consume the rules that match it."""
        applied = Applied()
        layout = False
        drop = 0.0
        with self._lock:
            self._counters[path] += 1
            now = time.monotonic()
            if now < self._window_until:
                self.inside_window += 1
            for fault in self._faults:
                if fault.exhausted or not fault.matches(path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                if fault.every > 1 and (fault.seen - fault.skip) % fault.every:
                    continue
                if fault.kind in ("rate_limit", "server_error", "challenge", "soft_404"):
                    if applied.status is not None:
                        continue
                    applied.status = fault
                    if fault.kind == "rate_limit":
                        self.rate_limited += 1
                        self._window_until = max(self._window_until, now + fault.retry_after)
                elif fault.kind == "slow":
                    applied.slow = applied.slow or fault
                elif fault.kind == "truncate":
                    applied.truncate = applied.truncate or fault
                elif fault.kind == "layout":
                    layout = True
                else:
                    drop = max(drop, fault.share)
                fault.applied += 1
        if layout or drop:
            applied.render = RenderFaults(layout=layout, drop_share=drop)
        return applied

    # ---- counters -----------------------------------------------------------------------
    def count(self, pattern: str = "*") -> int:
        """Requests seen whose path matches the glob ``pattern``."""
        with self._lock:
            return sum(n for p, n in self._counters.items() if fnmatchcase(p, pattern))

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def reset_counters(self) -> None:
        with self._lock:
            self._counters.clear()
            self.inside_window = 0
            self.rate_limited = 0
            self._window_until = 0.0


def render_faults(scope: Scope) -> RenderFaults:
    """The render-level faults the middleware stored for this request."""
    state = scope.get("state") or {}
    value = state.get("render_faults", NO_RENDER_FAULTS)
    return value if isinstance(value, RenderFaults) else NO_RENDER_FAULTS


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultController` (and serving its control routes)."""

    def __init__(self, app: ASGIApp, faults: FaultController) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in CONTROL_PATHS:
            await self._control(scope, receive, send)
            return
        applied = self.faults.take(path)
        scope.setdefault("state", {})["render_faults"] = applied.render
        slow = applied.slow
        if slow is not None and slow.where == "before":
            await asyncio.sleep(slow.delay)
        if applied.status is not None:
            await _error_response(send, applied.status)
            return
        body_slow = slow if slow is not None and slow.where == "body" else None
        if applied.truncate is None and body_slow is None:
            await self.app(scope, receive, send)
            return
        await self._rewrite_body(scope, receive, send, applied.truncate, body_slow)

    async def _rewrite_body(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        truncate: Fault | None,
        slow: Fault | None,
    ) -> None:
        start: Message | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body = b"".join(parts)
        if truncate is not None:
            body = body[: int(len(body) * truncate.keep)]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        if slow is not None:
            cut = int(len(body) * slow.keep)
            await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
            await asyncio.sleep(slow.delay)
            body = body[cut:]
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        status = 200
        payload: Any
        if scope["path"] == "/__counters":
            if method == "DELETE":
                self.faults.reset_counters()
            payload = self.faults.counters()
        elif method == "POST":
            raw = b""
            while True:
                message = await receive()
                raw += message.get("body", b"")
                if not message.get("more_body"):
                    break
            try:
                payload = [asdict(f) for f in self.faults.add_json(json.loads(raw or b"null"))]
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                status, payload = 400, {"error": str(exc)}
        else:
            if method == "DELETE":
                self.faults.clear()
            payload = [asdict(f) for f in self.faults.faults]
        body = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


CHALLENGE_PAGE = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bitte warten...</title>'
    b"<script>fetch('/index.php?yg=token',{credentials:'include'}).then(function(){"
    b"location.replace(location.href)});</script></head><body>Bitte warten...</body></html>"
)
"""The token-gate stub megakino serves before its cookie is set (short, ``yg=token`` +
``location.replace``; mediaforge ``megakino`` helpers, ``_looks_like_challenge``)."""

SOFT_404_PAGE = (
    b'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Seite nicht '
    b"gefunden</title></head><body><main><h1>Seite nicht gefunden</h1><p>Die angeforderte Seite "
    b'existiert nicht.</p><a href="/">Zur Startseite</a></main></body></html>'
)


async def _error_response(send: Send, fault: Fault) -> None:
    extra: list[tuple[bytes, bytes]] = []
    if fault.kind == "rate_limit":
        status = 429
        body = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        extra = [(b"retry-after", _seconds(fault.retry_after))]
    elif fault.kind == "challenge":
        status, body = 200, CHALLENGE_PAGE
    elif fault.kind == "soft_404":
        status, body = 200, SOFT_404_PAGE
    else:
        status = fault.status
        body = b"<html><body><h1>Server Error</h1></body></html>"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _seconds(value: float) -> bytes:
    return (str(int(value)) if float(value).is_integer() else repr(float(value))).encode()
