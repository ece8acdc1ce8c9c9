"""metadata_refresh benchmark: refresh N canonical works from the fake SkyHook (served by a child
process on loopback) through the real planner, plugin boundary, concurrency bound and Writer.

    .venv/bin/python bench/bench_metadata_refresh.py --works 10000 --episodes 12 --concurrency 4

Two passes over the same works: the first fills every group (works start with only a title and
a TVDB id), the second finds nothing changed. Prints works/s, requests per work and the writer's
share of the wall time (busy seconds / elapsed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.demo.metadata.records import Show, ShowEpisode  # noqa: E402
from anibridge_like.libraries.model import Library  # noqa: E402
from anibridge_like.plugins.manager import PluginManager  # noqa: E402
from anibridge_like.plugins.registry import Registry  # noqa: E402
from anibridge_like.storage.database import ReaderPool  # noqa: E402
from anibridge_like.storage.migrate import apply_migrations  # noqa: E402
from anibridge_like.storage.writer import Writer  # noqa: E402
from anibridge_like.works.refresh_config import MetadataRefreshConfig  # noqa: E402
from anibridge_like.works.refresh_job import execute, make_plan  # noqa: E402

NOW = "2026-12-03T00:00:00.000Z"
BASE = 100_000


def shows(count: int, episodes: int) -> list[Show]:
    return [
        Show(
            tvdb_id=BASE + i,
            title=f"Bench Show {i}",
            first_aired="2020-01-01",
            imdb_id=f"tt{9_000_000 + i}",
            anilist_ids=(i + 1,),
            episodes=tuple(
                ShowEpisode(1, e, e, f"Episode {e}", f"2020-01-{1 + e % 28:02d}")
                for e in range(1, episodes + 1)
            ),
            anime=True,
        )
        for i in range(count)
    ]


def serve(count: int, episodes: int) -> None:
    import uvicorn

    from anibridge_like.demo.metadata.skyhook import FakeSkyHook

    app = FakeSkyHook(shows=shows(count, episodes)).app
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        print(server.servers[0].sockets[0].getsockname()[1], flush=True)
        await task

    asyncio.run(run())


def write_index(db: Path, count: int, url: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO libraries(slug, name, kind) VALUES ('anime', 'Anime', 'anime')")
        for name, impl, kind, site, config in (
            ("aniworld", "aniworld", "provider", "aniworld", {}),
            ("skyhook", "skyhook", "metadata", None, {"base_url": f"{url}/v1/tvdb"}),
        ):
            conn.execute(
                "INSERT INTO plugin_instances(name, implementation, kind, site, enabled, config,"
                " all_libraries) VALUES (?, ?, ?, ?, 1, ?, 1)",
                (name, impl, kind, site, json.dumps(config)),
            )
        conn.executemany(
            "INSERT INTO titles(id, site, slug, title, kind, generation, first_seen, updated_at)"
            " VALUES (?, 'aniworld', ?, ?, 'series', 1, ?, ?)",
            [(i + 1, f"show-{i}", f"Bench Show {i}", NOW, NOW) for i in range(count)],
        )
        conn.executemany(
            "INSERT INTO series_mappings(title_id, status, tvdb_id, updated_at)"
            " VALUES (?, 'confirmed', ?, ?)",
            [(i + 1, BASE + i, NOW) for i in range(count)],
        )
        conn.executemany(
            "INSERT INTO works(key, kind, tvdb_id, title, created_at, updated_at)"
            " VALUES (?, 'series', ?, ?, ?, ?)",
            [(f"tvdb:{BASE + i}", BASE + i, f"Bench Show {i}", NOW, NOW) for i in range(count)],
        )
    conn.close()


async def bench(db: Path, concurrency: int) -> list[dict[str, Any]]:
    out = []
    limits = httpx.Limits(max_connections=16)
    async with (
        Writer(db) as writer,
        ReaderPool(db) as readers,
        httpx.AsyncClient(limits=limits) as http,
    ):
        manager = PluginManager(Registry(), http, environ={})
        await manager.reload(readers)
        app: Any = SimpleNamespace(readers=readers, writer=writer, plugins=manager)
        library = Library("anime", "Anime", "anime", (5070,), (), None)
        config = MetadataRefreshConfig(
            instances=["skyhook"], max_concurrency=concurrency, skip_recently_synced_hours=0
        )
        for label in ("first fill", "nothing changed"):
            busy = writer.stats.busy_seconds
            started = time.perf_counter()
            plan = await make_plan(app, library, config)
            planned = time.perf_counter()
            totals, requests = await execute(app, library, config, plan, job="bench", write=True)
            elapsed = time.perf_counter() - started
            changed = sum(c.added + c.changed for c in totals.groups.values())
            out.append(
                {
                    "pass": label,
                    "works": totals.works,
                    "seconds": round(elapsed, 2),
                    "plan_seconds": round(planned - started, 2),
                    "works_per_s": round(totals.works / elapsed, 1),
                    "requests_per_work": round(requests / max(totals.works, 1), 2),
                    "writer_share": round((writer.stats.busy_seconds - busy) / elapsed, 3),
                    "fields_changed": changed,
                    "failed": totals.failed,
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.works, args.episodes)
        return
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--works",
            str(args.works),
            "--episodes",
            str(args.episodes),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.sqlite3"
            apply_migrations(db)
            write_index(db, args.works, f"http://127.0.0.1:{port}")
            for row in asyncio.run(bench(db, args.concurrency)):
                print(json.dumps(row))
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
