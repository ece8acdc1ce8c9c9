"""Shared machinery of the fake metadata servers: request counting, injected faults, a loopback
runner, and the name search the fakes use (independent of the package's matching code)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from rapidfuzz import fuzz, process
from starlette.types import ASGIApp, Receive, Scope, Send


def fake_fold(text: str) -> str:
    """The fakes' own name folding (what a real service's search roughly does)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


class NameSearch:
    """Fuzzy search over (name, key) pairs; best keys first, each key once."""

    def __init__(self, entries: Iterable[tuple[str, int]]) -> None:
        self._names: list[str] = []
        self._keys: list[int] = []
        for name, key in entries:
            self._names.append(fake_fold(name))
            self._keys.append(key)

    def search(self, term: str, limit: int = 10, cutoff: float = 70.0) -> list[int]:
        hits = process.extract(
            fake_fold(term),
            self._names,
            scorer=fuzz.token_sort_ratio,
            limit=limit * 4,
            score_cutoff=cutoff,
        )
        out: list[int] = []
        for _name, _score, index in hits:
            key = self._keys[index]
            if key not in out:
                out.append(key)
        return out[:limit]


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


CONTROL_PATH = "/_control/records/"
"""``POST {server root}/_control/records/{id}`` with a JSON object: later detail answers for the
record ``id`` (a TVDB show id, a TMDB movie id) carry those top-level fields instead — how a test
or the demo makes "the service's data changed" (a show ended, got new episodes, a new poster).
``DELETE`` the same path forgets the edits. Not part of any real API."""


@dataclass
class FakeControl:
    """Counts requests, injects faults (first in, first served) into a fake's answers, counts
    requests in flight (``peak`` = most at once), and holds edits of records
    (:data:`CONTROL_PATH`)."""

    requests: int = 0
    paths: list[str] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: int = 0
    peak: int = 0
    delay: float = 0.0
    """Seconds every answer waits (lets tests see concurrent requests overlap)."""

    def edit(self, record_id: str | int, **fields: Any) -> None:
        self.edits.setdefault(str(record_id), {}).update(fields)

    def patched(self, record_id: str | int, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a detail answer) with the record's edits applied."""
        return {**data, **self.edits.get(str(record_id), {})}

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = scope["path"][len(CONTROL_PATH) :]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, answer = 200, {"record": record}
        if scope["method"] == "DELETE":
            self.edits.pop(record, None)
        else:
            try:
                fields = json.loads(body or b"{}")
            except ValueError:
                fields = None
            if not isinstance(fields, dict) or not record:
                status, answer = 400, {"error": "POST a JSON object to /_control/records/{id}"}
            else:
                self.edit(record, **fields)
                answer["fields"] = sorted(self.edits[record])
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = None,
        body: object | None = None,
    ) -> None:
        headers = {"content-type": "application/json"}
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        payload = json.dumps(body if body is not None else {"error": status}).encode()
        for _ in range(count):
            self.faults.append(Fault(status, headers, payload))

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            if scope["path"].startswith(CONTROL_PATH):
                await self._control(scope, receive, send)
                return
            self.requests += 1
            self.paths.append(scope["path"])
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self._answer(app, scope, receive, send)
            finally:
                self.in_flight -= 1

        return wrapped

    async def _answer(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.faults:
            await app(scope, receive, send)
            return
        fault = self.faults.popleft()
        await send(
            {
                "type": "http.response.start",
                "status": fault.status,
                "headers": [(k.encode(), v.encode()) for k, v in fault.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": fault.body})


@contextlib.asynccontextmanager
async def serve_loopback(app: ASGIApp) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1 (a free port) and yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("loopback server did not start within 5 s")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
