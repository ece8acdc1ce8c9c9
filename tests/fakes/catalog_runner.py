"""A process that runs the catalog service against the in-memory provider until the catalog is
complete — for the SIGKILL tests, which kill it mid-stage and start it again.

    python -m tests.fakes.catalog_runner --data-dir DIR --titles 2000 [--list-delay S]
        [--detail-delay S] [--page-size N] [--refresh] [--timeout S]

Writes ``complete`` on stdout and exits 0 once every stage of the instance is ready and nothing
runs; exits 1 when ``--timeout`` passes first. ``--refresh`` asks for a manual refresh once the
start-up work is done (a second listing over a live generation). ``--metadata-delay S`` puts the
instance in a ``series`` library with a SkyHook metadata instance served by the fake SkyHook on
loopback (each answer delayed by S seconds), so the canonical stage has real work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import aiosqlite
import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.types import ASGIApp, Receive, Scope, Send

from anibridge_like.catalog.service import CatalogService
from anibridge_like.context import AppContext
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.writer import Writer
from tests.fakes.memory_provider import MemoryProvider, register_site
from tests.fakes.sites import serve_app
from tests.fakes.skyhook import FakeSkyHook

INSTANCE = "crash"


def slowed(app: ASGIApp, delay: float) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(delay)
        await app(scope, receive, send)

    return wrapped


async def add_rows(writer: Writer, skyhook_url: str | None) -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        scoped = 0 if skyhook_url else 1
        await conn.execute(
            "INSERT OR IGNORE INTO plugin_instances"
            " (name, implementation, kind, site, config, all_libraries)"
            " VALUES (?, 'memory', 'provider', ?, ?, ?)",
            (INSTANCE, INSTANCE, json.dumps({"site": INSTANCE}), scoped),
        )
        if skyhook_url is None:
            return
        await conn.execute(
            "INSERT OR IGNORE INTO libraries (slug, name, kind)"
            " VALUES ('series', 'Series', 'series')"
        )
        await conn.execute(  # the fake's port changes with every start
            "INSERT INTO plugin_instances (name, implementation, kind, config, all_libraries)"
            " VALUES ('skyhook', 'skyhook', 'metadata', ?, 0)"
            " ON CONFLICT(name) DO UPDATE SET config = excluded.config",
            (json.dumps({"base_url": f"{skyhook_url}/v1/tvdb"}),),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO plugin_instance_libraries (instance_id, library_id)"
            " SELECT p.id, l.id FROM plugin_instances p, libraries l"
            " WHERE p.name IN (?, 'skyhook') AND l.slug = 'series'",
            (INSTANCE,),
        )

    await writer.run(unit)


async def run(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        skyhook_url: str | None = None
        catalog = GeneratedCatalog(args.flavor, args.titles, seed=args.seed)
        if args.metadata_delay is not None:
            fake = FakeSkyHook(catalog)
            skyhook_url = stack.enter_context(serve_app(slowed(fake.app, args.metadata_delay)))
        return await run_service(args, catalog, skyhook_url)


async def run_service(
    args: argparse.Namespace, catalog: GeneratedCatalog, skyhook_url: str | None
) -> int:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=Path(args.data_dir),
        _env_file=None,
        title_batch_size=50,
        title_queue_size=2,
        detail_concurrency=4,
        detail_batch_size=10,
        retry_attempts=0,
        progress_log_seconds=60,
    )
    apply_migrations(settings.database_path)
    register_site(
        INSTANCE,
        catalog,
        page_size=args.page_size,
        list_delay=args.list_delay,
        detail_delay=args.detail_delay,
    )
    registry = Registry(extra={"provider": {"memory": MemoryProvider}})
    async with (
        Writer(settings.database_path, queue_size=8) as writer,
        ReaderPool(settings.database_path, 2) as readers,
        httpx.AsyncClient() as http,
    ):
        await add_rows(writer, skyhook_url)
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.start()
        try:
            ctx = AppContext(settings, Seed(), registry, writer, readers, http, scheduler)
            async with CatalogService(ctx) as service:
                ctx.services["catalog"] = service
                deadline = time.monotonic() + args.timeout
                refresh = args.refresh
                while True:
                    done = _complete(service)
                    if done and refresh:
                        refresh = False
                        await service.trigger(INSTANCE)
                        continue
                    if done:
                        break
                    if time.monotonic() > deadline:
                        sys.stdout.write("timeout\n")
                        return 1
                    await asyncio.sleep(0.02)
        finally:
            scheduler.shutdown(wait=False)
    sys.stdout.write("complete\n")
    sys.stdout.flush()
    return 0


def _complete(service: CatalogService) -> bool:
    if service.running():
        return False
    states = [service.states.get((INSTANCE, s)) for s in ("title", "detail", "canonical")]
    return all(s is not None and s["status"] == "ready" for s in states)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--titles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flavor", default="aniworld")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--list-delay", type=float, default=0.0)
    parser.add_argument("--detail-delay", type=float, default=0.0)
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--metadata-delay", type=float, default=None)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
