"""An app over a generated anime catalog (memory provider) with SkyHook and AniList fakes on
loopback, bootstrapped until the canonical stage has filled the works."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from anibridge_like.context import AppContext
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.settings import Settings
from tests.catalog.support import fast_settings, open_app, poll, provider
from tests.fakes.anilist import FakeAniList
from tests.fakes.memory_provider import register_site
from tests.fakes.sites import serve_app
from tests.fakes.skyhook import FakeSkyHook

KEY = {"X-Api-Key": "adm1n"}
JOBS = "/api/v1/libraries/anime/jobs"


@dataclass
class Harness:
    client: httpx.AsyncClient
    ctx: AppContext
    skyhook: FakeSkyHook
    anilist: FakeAniList
    catalog: GeneratedCatalog
    db: Path

    async def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = await self.ctx.readers.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        await self.ctx.writer.execute(sql, params)

    async def create_job(self, name: str, config: dict[str, Any], **extra: Any) -> int:
        body = {"name": name, "type": "metadata_refresh", "config": config, **extra}
        answer = await self.client.post(JOBS, json=body, headers=KEY)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    async def dry_run(self, job_id: int, **body: Any) -> dict[str, Any]:
        answer = await self.client.post(f"{JOBS}/{job_id}/dry-run", json=body, headers=KEY)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    async def run(self, job_id: int, *, dry_run: bool = False) -> dict[str, Any]:
        answer = await self.client.post(
            f"{JOBS}/{job_id}/run", json={"dry_run": dry_run}, headers=KEY
        )
        assert answer.status_code == 202, answer.text
        runner = self.ctx.jobs
        assert runner is not None
        for _ in range(600):
            runs = (await self.client.get(f"{JOBS}/{job_id}/runs", headers=KEY)).json()["runs"]
            if runs and runs[0]["status"] not in ("pending", "running"):
                summary: dict[str, Any] = runs[0]["summary"]
                return summary
            import asyncio

            await asyncio.sleep(0.05)
        raise AssertionError("the run did not finish within 30 s")

    async def work(self, key: str) -> dict[str, Any]:
        answer = await self.client.get(f"/api/v1/works/{key}", headers=KEY)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def dump(self) -> str:
        """Every row of every table (caches included), from a separate connection."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()


@contextlib.asynccontextmanager
async def works_app(settings: Settings, titles: int = 12) -> AsyncIterator[Harness]:
    catalog = GeneratedCatalog("aniworld", titles, seed=3, episodes_per_title=6)
    register_site("mem", catalog, page_size=25)
    skyhook, anilist = FakeSkyHook(catalog), FakeAniList(catalog)
    with serve_app(skyhook.app) as sky_url, serve_app(anilist.app) as ani_url:
        data = {
            "libraries": [{"slug": "anime", "kind": "anime"}, {"slug": "series", "kind": "series"}],
            "plugins": [
                provider("mem-1", "mem", libraries=["anime"]),
                {
                    "name": "skyhook",
                    "implementation": "skyhook",
                    "kind": "metadata",
                    "libraries": ["anime", "series"],
                    "config": {"base_url": f"{sky_url}/v1/tvdb"},
                },
                {
                    "name": "anilist",
                    "implementation": "anilist",
                    "kind": "metadata",
                    "libraries": ["anime"],
                    "config": {"base_url": ani_url},
                },
            ],
        }
        app_settings = fast_settings(settings, admin_api_key=SecretStr("adm1n"))
        async with open_app(app_settings, data) as client:
            await poll(client, lambda b: b["complete"])
            ctx: AppContext = client._transport.app.state.ctx  # type: ignore[attr-defined]
            yield Harness(client, ctx, skyhook, anilist, catalog, app_settings.database_path)
