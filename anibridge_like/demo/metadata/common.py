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


@dataclass
class FakeControl:
    """Counts requests and injects faults (first in, first served) into a fake's answers."""

    requests: int = 0
    paths: list[str] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)

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
            self.requests += 1
            self.paths.append(scope["path"])
            if self.faults:
                fault = self.faults.popleft()
                await send(
                    {
                        "type": "http.response.start",
                        "status": fault.status,
                        "headers": [(k.encode(), v.encode()) for k, v in fault.headers.items()],
                    }
                )
                await send({"type": "http.response.body", "body": fault.body})
                return
            await app(scope, receive, send)

        return wrapped


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
