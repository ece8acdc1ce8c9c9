"""Media-server inventory benchmark: pull 50,000 episodes from the fake Jellyfin (served by a
child process on loopback) or from a 50,000-file folder tree, through the real pull (paging,
resolution against an index that holds the same series, Writer units, ownership).

    .venv/bin/python bench/bench_media_inventory.py --mode jellyfin --shows 500 --episodes 100
    .venv/bin/python bench/bench_media_inventory.py --mode filesystem --shows 500 --episodes 100

Prints wall time, items/s, pages, owned episodes and the process's peak RSS growth over its
high-water mark after set-up (index written, tree on disk), so the figure is the pull's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.demo.mediaservers.content import (  # noqa: E402
    FakeServerState,
    generated_library,
    iter_paths,
)
from anibridge_like.mediaservers.inventory import pull  # noqa: E402
from anibridge_like.mediaservers.store import Binding  # noqa: E402
from anibridge_like.plugins.registry import Registry  # noqa: E402
from anibridge_like.storage.database import ReaderPool  # noqa: E402
from anibridge_like.storage.migrate import apply_migrations  # noqa: E402
from anibridge_like.storage.writer import Writer  # noqa: E402

NOW = "2026-12-03T00:00:00.000Z"
TOKEN = "bench-token"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def serve(shows: int, episodes: int) -> None:
    import uvicorn

    from anibridge_like.demo.mediaservers.jellyfin import build_jellyfin_app

    state = FakeServerState([generated_library("Anime", shows, episodes)], token=TOKEN)
    config = uvicorn.Config(
        build_jellyfin_app(state), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
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


def write_index(db: Path, shows: int, episodes: int) -> None:
    """The same series as the fake holds, mapped to their TVDB ids (one provider title each)."""
    lib = generated_library("Anime", shows, episodes)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO libraries(slug, name, kind) VALUES ('anime', 'Anime', 'anime')")
        conn.execute(
            "INSERT INTO plugin_instances(name, implementation, kind, config)"
            " VALUES ('bench', 'jellyfin', 'media_server', '{}')"
        )
        for i, show in enumerate(lib.shows):
            cur = conn.execute(
                "INSERT INTO titles(site, slug, title, kind, year, generation, first_seen,"
                " updated_at) VALUES ('aniworld', ?, ?, 'series', ?, 1, ?, ?)",
                (f"s{i}", show.title, show.year, NOW, NOW),
            )
            tid = cur.lastrowid
            conn.execute(
                "INSERT INTO series_mappings(title_id, status, tvdb_id, canonical_title,"
                " updated_at) VALUES (?, 'confirmed', ?, ?, ?)",
                (tid, int(show.ids["tvdb"]), show.title, NOW),
            )
            for ep in show.episodes:
                eid = conn.execute(
                    "INSERT INTO episodes(title_id, season, number, first_seen)"
                    " VALUES (?, ?, ?, ?)",
                    (tid, ep.season, ep.number, NOW),
                ).lastrowid
                conn.execute(
                    "INSERT INTO episode_mappings(episode_id, title_id, tvdb_season,"
                    " tvdb_episode, status, method) VALUES (?, ?, ?, ?, 'confirmed', 'direct')",
                    (eid, tid, ep.season, ep.number),
                )
    conn.close()


def write_tree(root: Path, shows: int, episodes: int) -> None:
    lib = generated_library("Anime", shows, episodes)
    for show, _ep, path in iter_paths(lib):
        rel = Path(path).relative_to("/media/Anime")
        parts = list(rel.parts)
        parts[0] += f" {{tvdb-{show.ids['tvdb']}}}"
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()


def start_fake(shows: int, episodes: int) -> tuple[subprocess.Popen[str], int]:
    cmd = [sys.executable, __file__, "--serve", "--shows", str(shows), "--episodes", str(episodes)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, int(child.stdout.readline())


def prepare(
    mode: str, shows: int, episodes: int, page_size: int, port: int
) -> tuple[Path, Any, dict[str, Any], str]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-media-"))
    db = tmp / "bench.db"
    apply_migrations(db)
    write_index(db, shows, episodes)
    registry = Registry()
    if mode == "jellyfin":
        impl = registry.get("media_server", "jellyfin")
        config = {"url": f"http://127.0.0.1:{port}", "api_key": TOKEN, "page_size": page_size}
        return db, impl, config, "Anime"
    write_tree(tmp / "tree", shows, episodes)
    impl = registry.get("media_server", "filesystem")
    server_library = str(tmp / "tree")
    return (
        db,
        impl,
        {"libraries": {"anime": server_library}, "page_size": page_size},
        server_library,
    )


async def bench(
    mode: str, db: Path, impl: Any, config: dict[str, Any], server_library: str, episodes: int
) -> dict[str, object]:
    async with (
        Writer(db) as writer,
        ReaderPool(db, 2) as readers,
        httpx.AsyncClient(timeout=30) as client,
    ):
        server = impl(impl.config_model.model_validate(config), client)
        status = await server.check_connection()
        binding = Binding(1, "bench", 1, "anime", "anime", server_library)
        base_rss = peak_rss_mb()
        started = time.perf_counter()
        cpu = time.process_time()
        outcome = await pull(writer, readers, server, binding, status)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        owned = await readers.fetchone("SELECT count(*) FROM media_ownership WHERE state = 'owned'")
    assert outcome.status == "complete", outcome
    return {
        "mode": mode,
        "episodes": episodes,
        "items": outcome.items,
        "pages": outcome.pages,
        "owned": owned[0] if owned else 0,
        "wall_s": round(wall, 2),
        "items_per_s": round(outcome.items / wall),
        "cpu_s": round(cpu, 2),
        "rss_base_mb": round(base_rss, 1),
        "rss_growth_mb": round(peak_rss_mb() - base_rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("jellyfin", "filesystem"), default="jellyfin")
    parser.add_argument("--shows", type=int, default=500)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.shows, args.episodes)
        return
    os.environ.setdefault("ANIBRIDGE_LOG_LEVEL", "warning")
    child, port = start_fake(args.shows, args.episodes) if args.mode == "jellyfin" else (None, 0)
    try:
        db, impl, config, library = prepare(
            args.mode, args.shows, args.episodes, args.page_size, port
        )
        total = args.shows * args.episodes
        print(json.dumps(asyncio.run(bench(args.mode, db, impl, config, library, total))))
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=10)


if __name__ == "__main__":
    main()
