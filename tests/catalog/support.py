"""Helpers for pipeline tests: instances in the database, runs built like the service builds
them, and small SQL probes. Everything goes through the real writer and reader pool."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import httpx

from anibridge_like.app import create_app
from anibridge_like.catalog.pipeline import build_provider, make_run, refresh_instance
from anibridge_like.catalog.stage import InstanceRun, Stage, StageResult
from anibridge_like.catalog.state import ProgressBoard
from anibridge_like.plugins.instances import load_instances
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.fakes.memory_provider import MemoryProvider

REGISTRY_EXTRA: dict[str, dict[str, Any]] = {"provider": {"memory": MemoryProvider}}
REGISTRY = Registry(extra=REGISTRY_EXTRA)


def fast_settings(settings: Settings, **overrides: Any) -> Settings:
    """Test settings: small queues and batches, tiny backoffs, no in-run retries."""
    values: dict[str, Any] = {
        "title_batch_size": 40,
        "title_queue_size": 2,
        "detail_concurrency": 4,
        "detail_queue_size": 8,
        "detail_batch_size": 10,
        "retry_attempts": 0,
        "backoff_base_seconds": 0.01,
        "backoff_cap_seconds": 1.0,
        "title_retry_base_seconds": 0.05,
        "progress_log_seconds": 0.2,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


@dataclass
class Env:
    settings: Settings
    writer: Writer
    readers: ReaderPool
    http: httpx.AsyncClient
    registry: Registry = field(default_factory=lambda: Registry(extra=REGISTRY_EXTRA))
    board: ProgressBoard = field(default_factory=ProgressBoard)

    async def add_instance(
        self,
        name: str,
        site: str,
        *,
        implementation: str = "memory",
        kind: str = "provider",
        config: dict[str, Any] | None = None,
        interval_hours: float | None = None,
    ) -> None:
        cfg = json.dumps(config if config is not None else {"site": site})

        async def unit(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO plugin_instances (name, implementation, kind, site, config,"
                " refresh_interval_hours) VALUES (?, ?, ?, ?, ?, ?)",
                (name, implementation, kind, site, cfg, interval_hours),
            )

        await self.writer.run(unit)

    async def make_run(self, name: str, *, manual: bool = False) -> InstanceRun:
        spec = next(r for r in await load_instances(self.readers, "provider") if r.name == name)
        provider = build_provider(self.registry, spec, self.http)
        return make_run(
            spec,
            provider,
            settings=self.settings,
            writer=self.writer,
            readers=self.readers,
            registry=self.registry,
            http=self.http,
            board=self.board,
            manual=manual,
        )

    async def refresh(
        self, name: str, *, manual: bool = False, stages: Sequence[Stage] | None = None
    ) -> dict[str, StageResult]:
        return await refresh_instance(await self.make_run(name, manual=manual), stages)

    async def stage(self, name: str, stage: str) -> dict[str, Any]:
        row = await self.readers.fetchone(
            "SELECT * FROM stage_state WHERE instance = ? AND stage = ?", (name, stage)
        )
        assert row is not None, f"no stage_state for {name}/{stage}"
        return dict(row)

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.readers.fetchone(sql, params)
        assert row is not None
        return row[0]

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.readers.fetchall(sql, params)]


# ---- the whole app -------------------------------------------------------------------------
def seed(*plugins: dict[str, Any]) -> dict[str, Any]:
    return {
        "libraries": [{"slug": "anime", "kind": "anime"}, {"slug": "series", "kind": "series"}],
        "plugins": list(plugins),
    }


def provider(name: str, site: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "implementation": "memory",
        "kind": "provider",
        "config": {"site": site},
        **extra,
    }


async def poll(client: httpx.AsyncClient, done: Any, *, within: float = 30.0) -> dict[str, Any]:
    """Poll /health/catalog until ``done(body)`` (bounded in time)."""
    deadline = time.monotonic() + within
    while True:
        body: dict[str, Any] = (await client.get("/health/catalog")).json()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"not done in {within}s: {body}"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def open_app(settings: Settings, data: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, seed=parse_seed(data, REGISTRY, environ={}), registry=REGISTRY)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c
