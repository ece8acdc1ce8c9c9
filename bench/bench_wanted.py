"""Wanted lists at scale: sync persistence and the cost of wanted-first in the RSS feed.

A catalog of ``--titles`` anime titles (one trusted TVDB mapping, three episodes in two
languages each) is written straight into a fresh database; a scripted sync plugin lists
``--wanted`` of them (pages of ``--page``), run through the real core (the plugin manager, the
writer, links to every in-scope title). Measured: the first sync (all new), a second one (all
unchanged), and the latency of the no-query Torznab feed (the RSS sync) with and without wanted
titles, ``--requests`` calls each, on one reader connection.

    python bench/bench_wanted.py [--titles 20000] [--wanted 2000] [--page 500] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import aiosqlite
import httpx
from pydantic import BaseModel, ConfigDict

from anibridge_like.app import create_app
from anibridge_like.plugins.provider import ProviderCapabilities, TitleDetail, TitlePage
from anibridge_like.plugins.registry import Registry
from anibridge_like.plugins.sync import (
    ExternalIds,
    SyncCapabilities,
    SyncContext,
    SyncResult,
    WantedItem,
)
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from anibridge_like.sync.runner import sync_instance
from anibridge_like.torznab.params import parse_params
from anibridge_like.torznab.search import search

ITEMS: list[WantedItem] = []
PAGE = 500


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str | None = None


class BenchProvider:
    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(site="aniworld")
    config_model: ClassVar[type[BaseModel]] = Config

    def __init__(self, config: Config, client: httpx.AsyncClient) -> None:
        self.site = "aniworld"

    async def list_titles(self, cursor: str | None) -> TitlePage:
        return TitlePage(items=[])

    async def fetch_detail(self, slug: str) -> TitleDetail:
        return TitleDetail(slug=slug, title=slug)


class BenchSync:
    capabilities: ClassVar[SyncCapabilities] = SyncCapabilities(
        kinds=frozenset({"series"}), paged=True
    )
    config_model: ClassVar[type[BaseModel]] = Config

    def __init__(self, config: Config, client: httpx.AsyncClient) -> None:
        pass

    async def sync(self, ctx: SyncContext, cursor: str | None) -> SyncResult:
        start = int(cursor or 0)
        end = start + PAGE
        more = end < len(ITEMS)
        return SyncResult(ITEMS[start:end], str(end) if more else None, more)


async def write_catalog(app: Any, titles: int) -> None:
    now = datetime.now(UTC)

    def stamp(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "INSERT INTO titles(id, site, slug, title, kind, year, generation, first_seen,"
            " updated_at) VALUES (?, 'aniworld', ?, ?, 'series', 2020, 1, ?, ?)",
            [(i, f"t-{i}", f"Title {i}", stamp(0), stamp(0)) for i in range(1, titles + 1)],
        )
        await conn.executemany(
            "INSERT INTO series_mappings(title_id, status, tvdb_id, updated_at)"
            " VALUES (?, 'confirmed', ?, ?)",
            [(i, 100000 + i, stamp(0)) for i in range(1, titles + 1)],
        )
        await conn.executemany(
            "INSERT INTO episodes(id, title_id, season, number, first_seen) VALUES (?, ?, 1, ?, ?)",
            [(i * 3 + n, i, n + 1, stamp(0)) for i in range(1, titles + 1) for n in range(3)],
        )
        await conn.executemany(
            "INSERT INTO episode_languages(episode_id, language, first_seen) VALUES (?, ?, ?)",
            [
                (i * 3 + n, lang, stamp((i * 7 + n) % 20000))
                for i in range(1, titles + 1)
                for n in range(3)
                for lang in ("de_dub", "de_sub")
            ],
        )
        await conn.execute(
            "INSERT INTO stage_state(instance, stage, status, ready_at, live_generation)"
            " VALUES ('aw', 'title', 'ready', ?, 1)",
            (stamp(0),),
        )

    await app.state.ctx.writer.run(unit)


async def rss_latency(app: Any, requests: int, wanted_hours: float | None) -> list[float]:
    ctx = app.state.ctx
    params = parse_params({"t": "search", "limit": "100"})
    since = None
    if wanted_hours is not None:
        since = (datetime.now(UTC) - timedelta(hours=wanted_hours)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
    out: list[float] = []
    async with ctx.readers.connection() as conn:
        for _ in range(requests):
            began = time.perf_counter()
            releases = await search(conn, ctx.libraries, params, since)
            out.append((time.perf_counter() - began) * 1000)
            assert len(releases) == 100
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def main(args: argparse.Namespace) -> None:
    global PAGE
    PAGE = args.page
    ITEMS[:] = [
        WantedItem(f"tvdb:{100000 + i}", ExternalIds(tvdb=100000 + i), f"T{i}", 2020, "series",
                   "wanted")
        for i in range(1, args.titles + 1, max(1, args.titles // args.wanted))
    ][: args.wanted]  # fmt: skip
    registry = Registry(extra={"provider": {"bench": BenchProvider}, "sync": {"bench": BenchSync}})
    seed = parse_seed(
        {
            "libraries": [{"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub"]}],
            "plugins": [
                {"name": "aw", "implementation": "bench", "kind": "provider"},
                {"name": "list", "implementation": "bench", "kind": "sync"},
            ],
        },
        registry,
        environ={},
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        app = create_app(settings, seed=seed, registry=registry, environ={}, start_services=False)
        async with app.router.lifespan_context(app):
            began = time.perf_counter()
            await write_catalog(app, args.titles)
            print(f"catalog: {args.titles} titles in {time.perf_counter() - began:.1f} s")
            base = await rss_latency(app, args.requests, None)
            off = await rss_latency(app, args.requests, 168.0)  # wanted-first, nothing wanted
            ctx = app.state.ctx
            for label in ("first sync (all new)", "second sync (unchanged)"):
                began = time.perf_counter()
                run = await sync_instance(ctx, "list", "anime", manual=True)
                took = time.perf_counter() - began
                rate = len(ITEMS) / took
                print(f"{label}: {len(ITEMS)} items, {run.pages} pages, {took:.2f} s"
                      f" ({rate:,.0f} items/s)")  # fmt: skip
            links = await ctx.readers.fetchone("SELECT COUNT(*) FROM wanted_links")
            print(f"links: {links[0]}")
            on = await rss_latency(app, args.requests, 168.0)
            cases = [
                ("RSS, plain feed", base),
                ("RSS, wanted-first, none wanted", off),
                (f"RSS, wanted-first, {len(ITEMS)} wanted", on),
            ]
            for label, values in cases:
                print(f"{label}: p50 {p(values, 50):.2f} ms, p95 {p(values, 95):.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=20000)
    parser.add_argument("--wanted", type=int, default=2000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
