"""Torznab text-search and deep-offset cost against catalog size (issue 12, items 5 and 7b).

Builds (or reuses) databases of 1,500 / 15,000 / 150,000 titles with the generator of
``bench_torznab.py`` (few episodes per title: the cost studied is the title match, not the
episode rows), then runs the request path in-process — :func:`anibridge_like.torznab.search.search`
on a read-only connection, the same code the route runs, without HTTP — for:

* ``search&q=`` with 1–3 title words sampled from the catalog (single client): time of random
  draws, and for the first 200 sampled texts the SQLite VM work (a progress handler: the
  load-independent measure) and the best of 3 runs' time; the broadest queries (one 3-letter
  prefix: ``dra``, ``the``-style words, a stop word alone);
* RSS pages at ``offset`` 0 / 900 / 5,000 / 1,000,000 (cost must not grow with the offset).

    python bench/bench_search_scale.py [--sizes 1500,15000,150000] [--episodes-per-title 2]
                                       [--requests 400] [--dir /tmp/abl-scale] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_torznab import LIBRARIES, build

from anibridge_like.storage.database import open_read_connection, run_sync
from anibridge_like.torznab.access import Library
from anibridge_like.torznab.params import parse_params
from anibridge_like.torznab.search import search

BROAD = ["dra", "the", "a", "and", "sho", "no", "to"]


def _libraries() -> list[Library]:
    from anibridge_like.seed import LibrarySeed

    return [
        Library.from_source(
            LibrarySeed.model_validate(
                {k: v for k, v in lib.items() if k in ("slug", "name", "kind", "categories",
                                                       "languages")}
            )
        )
        for lib in LIBRARIES
    ]  # fmt: skip


STEPS: list[int] = [0]
"""SQLite VM instructions (in thousands) of the last request: a cost that does not depend on
the load of a shared machine."""


def _count_steps(raw: sqlite3.Connection) -> None:
    def tick() -> int:
        STEPS[0] += 1
        return 0

    raw.set_progress_handler(tick, 1000)


async def _time(conn: aiosqlite.Connection, libs: list[Library], query: dict[str, str]) -> float:
    params = parse_params(query)
    STEPS[0] = 0
    began = time.perf_counter()
    await search(conn, libs, params)
    return (time.perf_counter() - began) * 1000


async def _steps(conn: aiosqlite.Connection, libs: list[Library], query: dict[str, str]) -> int:
    await _time(conn, libs, query)
    return STEPS[0]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(db: Path, words: list[str], requests: int, offsets: list[int]) -> dict[str, str]:
    conn = await open_read_connection(db)
    await run_sync(conn, _count_steps)
    libs = _libraries()
    rng = random.Random(7)
    out: dict[str, str] = {}
    try:
        for warm in words[:20]:
            await _time(conn, libs, {"t": "search", "q": warm})
        sampled = [
            await _time(conn, libs, {"t": "search", "q": rng.choice(words)})
            for _ in range(requests)
        ]
        out["search"] = f"{statistics.median(sampled):.2f} / {_pct(sampled, 99):.2f}"
        steps = [await _steps(conn, libs, {"t": "search", "q": w}) for w in words[:200]]
        out["steps"] = f"{statistics.median(steps):.0f} / {_pct([float(x) for x in steps], 99):.0f}"
        # the same queries' time, each the best of 3 runs: less sensitive to a loaded machine
        best = [
            min([await _time(conn, libs, {"t": "search", "q": w}) for _ in range(3)])
            for w in words[:200]
        ]
        out["best"] = f"{statistics.median(best):.2f} / {_pct(best, 99):.2f}"
        broad_steps = [await _steps(conn, libs, {"t": "search", "q": w}) for w in BROAD]
        out["broad_steps"] = f"{max(broad_steps)}"
        broad = [await _time(conn, libs, {"t": "search", "q": w}) for _ in range(5) for w in BROAD]
        out["broad"] = f"{statistics.median(broad):.2f} / {max(broad):.2f}"
        for offset in offsets:
            runs = [
                await _time(conn, libs, {"t": "search", "offset": str(offset), "limit": "100"})
                for _ in range(15 if offset <= 5000 else 3)
            ]
            out[f"rss@{offset}"] = f"{statistics.median(runs):.2f}"
    finally:
        await conn.close()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1500,15000,150000")
    parser.add_argument("--episodes-per-title", type=int, default=2)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/abl-scale"))
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--offsets", default="0,900,5000,1000000")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        db = args.dir / f"scale-{size}-{args.episodes_per_title}.db"
        fresh = not (args.reuse and db.exists())
        if fresh and db.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
        began = time.perf_counter()
        samples, _ = await build(db, size, args.episodes_per_title, write=fresh)
        built = time.perf_counter() - began
        offsets = [int(o) for o in args.offsets.split(",")]
        result = await measure(db, samples.words, args.requests, offsets)
        rows.append((size, built, result))
        print(f"{size}: built/loaded in {built:.0f} s: {result}", flush=True)
    print(
        "\n| titles | search p50 / p99 ms | best-of-3 p50 / p99 ms | search kSteps p50 / p99 "
        "| broad p50 / max ms | broad kSteps max | RSS ms @ offset 0 / 900 / 5k / 1M |"
    )
    print("|---|---|---|---|---|---|---|")
    for size, _, r in rows:
        rss = " / ".join(r.get(f"rss@{o}", "–") for o in (0, 900, 5000, 1_000_000))
        print(
            f"| {size:,} | {r['search']} | {r['best']} | {r['steps']} | {r['broad']} "
            f"| {r['broad_steps']} | {rss} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
