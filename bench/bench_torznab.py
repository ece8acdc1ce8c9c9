"""Torznab latency and throughput on a catalog the size of a real one, served by uvicorn.

Builds (or reuses) a database with ~15,000 titles / ~350,000 episodes from the deterministic
generated catalogs (aniworld-style anime, s.to-style series, megakino-style movies), written
through the real Writer with mappings and readiness, then serves the Torznab routes (plus a
hello-world Starlette endpoint for reference) with uvicorn on 127.0.0.1 in a child process and
drives it with a bounded load generator: 8 concurrent keep-alive clients, each scenario capped in
request count and in seconds.

Scenarios: hello-world, t=caps, RSS (no query), search&q= (1–3 title words, limit 50),
tvsearch by tvdbid+season+ep, tvsearch by tvdbid+season. Targets: search p50 ≤ 5 ms and
p99 ≤ 30 ms; tvsearch p50 ≤ 3 ms; caps ≥ 0.8 × hello-world req/s (same run).

    python bench/bench_torznab.py [--titles 15000] [--episodes-per-title 27] [--requests 3000]
                                  [--seconds 20] [--clients 8] [--db PATH [--reuse]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.writer import Writer

KEY = "bench-key"
SITES = (
    ("aniworld", "aw", "anime", 0.4),
    ("sto", "sto", "series", 0.4),
    ("megakino", "mk", "movies", 0.2),
)
LIBRARIES = [
    {
        "slug": "anime",
        "name": "Anime",
        "kind": "anime",
        "categories": [5070],
        "languages": ["de_dub", "de_sub"],
        "site": "aniworld",
    },
    {
        "slug": "series",
        "name": "Series",
        "kind": "series",
        "categories": [5000, 5040],
        "languages": ["de_dub", "en_dub", "de_sub"],
        "site": "sto",
    },
    {
        "slug": "movies",
        "name": "Movies",
        "kind": "movies",
        "categories": [2000],
        "languages": ["de_dub", "en_dub"],
        "site": "megakino",
    },
]
NOW = datetime(2026, 11, 22, tzinfo=UTC)
BATCH_TITLES = 500
RATIO_ROUNDS = 5


@dataclass
class Samples:
    words: list[str] = field(default_factory=list)
    episodes: list[tuple[int, int, int]] = field(default_factory=list)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _rows(title_id: int, episode_id: int, gt: GenTitle, rng: random.Random) -> dict[str, list]:
    status = "confirmed" if gt.index % 20 < 17 else "high" if gt.index % 20 < 19 else "low"
    base = NOW - timedelta(days=rng.uniform(5, 900))
    rows: dict[str, list] = {k: [] for k in ("titles", "aliases", "sm", "eps", "langs", "em")}
    rows["titles"].append(
        (title_id, gt.site, gt.slug, gt.title, gt.kind, gt.year, 1, 0, 0, _iso(base), _iso(base))
    )
    rows["aliases"].extend(sorted((title_id, a) for a in set(gt.aliases)))
    mapped = gt.tvdb_id is not None or gt.imdb_id is not None
    if mapped:
        rows["sm"].append(
            (
                title_id,
                status,
                gt.tvdb_id,
                gt.tmdb_id,
                gt.imdb_id,
                gt.anilist_id,
                gt.canonical_title,
                gt.year,
                _iso(base),
            )
        )
    for n, ep in enumerate(gt.episodes):
        eid = episode_id + n
        seen = min(NOW, base + timedelta(days=7 * n, minutes=rng.randrange(600)))
        rows["eps"].append((eid, title_id, ep.season, ep.number, ep.absolute, ep.kind, _iso(seen)))
        for lang in sorted(ep.languages):
            lag = timedelta(days=21) if lang.value == "de_dub" else timedelta(0)
            rows["langs"].append((eid, lang.value, _iso(min(NOW, seen + lag))))
        if mapped and ep.tvdb_season is not None and gt.kind == "series":
            rows["em"].append(
                (eid, title_id, ep.tvdb_season, ep.tvdb_episode, ep.absolute, status, "direct")
            )
    return rows


_SQL = {
    "titles": "INSERT INTO titles(id, site, slug, title, kind, year, generation, missed, gone,"
    " first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "aliases": "INSERT OR IGNORE INTO title_aliases(title_id, alias) VALUES (?, ?)",
    "sm": "INSERT INTO series_mappings(title_id, status, tvdb_id, tmdb_id, imdb_id, anilist_id,"
    " canonical_title, canonical_year, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "eps": "INSERT INTO episodes(id, title_id, season, number, absolute, kind, first_seen)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)",
    "langs": "INSERT INTO episode_languages(episode_id, language, first_seen) VALUES (?, ?, ?)",
    "em": "INSERT INTO episode_mappings(episode_id, title_id, tvdb_season, tvdb_episode, absolute,"
    " status, method) VALUES (?, ?, ?, ?, ?, ?, ?)",
}


async def build(
    db: Path, titles: int, per_title: int, write: bool = True
) -> tuple[Samples, dict[str, int]]:
    """Generate the catalog (deterministic) and write it; ``write=False`` only regenerates the
    samples of a database built earlier with the same arguments."""
    apply_migrations(db)
    rng = random.Random(42)
    samples = Samples()
    counts = dict.fromkeys(_SQL, 0)
    async with Writer(db, queue_size=4) as writer:

        async def setup(conn: aiosqlite.Connection) -> None:
            for lib in LIBRARIES:
                await conn.execute(
                    "INSERT INTO libraries(slug, name, kind, categories, languages)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        lib["slug"],
                        lib["name"],
                        lib["kind"],
                        json.dumps(lib["categories"]),
                        json.dumps(lib["languages"]),
                    ),
                )
            for site, instance, slug, _ in SITES:
                await conn.execute(
                    "INSERT INTO plugin_instances(name, implementation, kind, site, all_libraries)"
                    " VALUES (?, ?, 'provider', ?, 0)",
                    (instance, site, site),
                )
                await conn.execute(
                    "INSERT INTO plugin_instance_libraries(instance_id, library_id)"
                    " SELECT p.id, l.id FROM plugin_instances p, libraries l"
                    " WHERE p.name = ? AND l.slug = ?",
                    (instance, slug),
                )
                await conn.execute(
                    "INSERT INTO stage_state(instance, stage, status, ready_at, live_generation)"
                    " VALUES (?, 'title', 'ready', ?, 1)",
                    (instance, _iso(NOW)),
                )

        if write:
            await writer.run(setup)
        title_id, episode_id = 1, 1
        for site, _, _, share in SITES:
            catalog = GeneratedCatalog(
                site, max(1, int(titles * share)), seed=1, episodes_per_title=per_title
            )
            batch: dict[str, list] = {k: [] for k in _SQL}
            for gt in catalog:
                rows = _rows(title_id, episode_id, gt, rng)
                for key, value in rows.items():
                    batch[key].extend(value)
                _sample(samples, gt, rows, rng)
                title_id += 1
                episode_id += len(gt.episodes)
                if title_id % BATCH_TITLES == 0:
                    await _flush(writer, batch, counts, write)
            await _flush(writer, batch, counts, write)
    return samples, counts


def _sample(samples: Samples, gt: GenTitle, rows: dict[str, list], rng: random.Random) -> None:
    words = [w for w in gt.title.replace(":", " ").split() if w.isalnum()]
    if words and rng.random() < 0.2:
        start = rng.randrange(len(words))
        samples.words.append(" ".join(words[start : start + rng.randint(1, 3)]))
    trusted = rows["sm"] and rows["sm"][0][1] in ("confirmed", "high") and gt.tvdb_id
    if trusted and rows["em"] and rng.random() < 0.3:
        em = rng.choice(rows["em"])
        samples.episodes.append((gt.tvdb_id or 0, em[2], em[3]))


async def _flush(
    writer: Writer, batch: dict[str, list], counts: dict[str, int], write: bool
) -> None:
    if not batch["titles"]:
        return
    data = {k: sorted(v) for k, v in batch.items()}

    async def unit(conn: aiosqlite.Connection) -> None:
        for key, sql in _SQL.items():
            await conn.executemany(sql, data[key])

    if write:
        await writer.run(unit, label="bench.catalog")
    for key, value in data.items():
        counts[key] += len(value)
        batch[key] = []


# ---- server (child process) -------------------------------------------------------------------
def serve(db: Path, port: int) -> None:
    import uvicorn
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from pydantic import SecretStr
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from anibridge_like.context import AppContext
    from anibridge_like.logging import configure_logging
    from anibridge_like.plugins.registry import Registry
    from anibridge_like.seed import LibrarySeed, Seed
    from anibridge_like.settings import Settings
    from anibridge_like.storage.database import ReaderPool
    from anibridge_like.torznab.routes import routes

    settings = Settings(data_dir=db.parent, api_key=SecretStr(KEY))  # type: ignore[call-arg]
    seed = Seed(
        libraries=[
            LibrarySeed(**{k: v for k, v in lib.items() if k != "site"}) for lib in LIBRARIES
        ]
    )
    hello_body = b"<?xml version='1.0'?><hello/>" * 20

    async def hello(request: Request) -> Response:
        return Response(hello_body, media_type="application/xml")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with ReaderPool(db, settings.reader_connections) as readers:
            app.state.ctx = AppContext(
                settings=settings,
                seed=seed,
                registry=Registry(),
                writer=Writer(db),
                readers=readers,
                http=None,  # type: ignore[arg-type]
                scheduler=AsyncIOScheduler(),
            )
            yield

    app = Starlette(routes=[*routes, Route("/hello", hello)], lifespan=lifespan)
    configure_logging("info", "console")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---- load generator ---------------------------------------------------------------------------
async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(x.split(":")[1]) for x in lines if x.lower().startswith("content-length"))
    return status, await reader.readexactly(length)


async def scenario(
    port: int,
    paths: Iterator[str],
    clients: int,
    total: int,
    seconds: float,
    raw: bool = False,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    empty = 0
    issued = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal errors, empty, issued
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while issued < total and time.monotonic() < deadline:
                issued += 1
                path = next(paths)
                began = time.perf_counter()
                status, body = await _request(reader, writer, path)
                latencies.append(time.perf_counter() - began)
                errors += status != 200
                empty += b"<rss" in body and b"<item>" not in body
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "n": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
        "empty": empty,
        **({"latencies": latencies} if raw else {}),
    }


def _cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_ready(port: int, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status, _ = await _request(reader, writer, "/hello")
            writer.close()
            if status == 200:
                return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not come up")


async def load(
    port: int, samples: Samples, args: argparse.Namespace
) -> tuple[list[tuple[str, dict]], list[float]]:
    from urllib.parse import quote

    rng = random.Random(7)
    words = rng.sample(samples.words, min(len(samples.words), 2000))
    eps = rng.sample(samples.episodes, min(len(samples.episodes), 2000))
    k = f"apikey={KEY}"
    plans = [
        ("hello-world Starlette", ["/hello"]),
        ("t=caps", [f"/torznab/api?t=caps&{k}", f"/torznab/anime/api?t=caps&{k}"]),
        (
            "RSS (no query)",
            [
                f"/torznab/api?t=search&{k}",
                f"/torznab/anime/api?t=tvsearch&{k}",
                f"/torznab/movies/api?t=movie&{k}",
                f"/torznab/series/api?t=tvsearch&cat=5030,5040&{k}",
            ],
        ),
        (
            "search q (1-3 words, limit 50)",
            [f"/torznab/api?t=search&q={quote(w)}&limit=50&{k}" for w in words],
        ),
        (
            "tvsearch tvdbid+season+ep",
            [f"/torznab/api?t=tvsearch&tvdbid={t}&season={s}&ep={e}&{k}" for t, s, e in eps],
        ),
        (
            "tvsearch tvdbid+season",
            [f"/torznab/api?t=tvsearch&tvdbid={t}&season={s}&{k}" for t, s, _ in eps],
        ),
    ]
    await _wait_ready(port)
    results = []
    ratios = []
    for _ in range(RATIO_ROUNDS):  # hello and caps alternate: both see the same machine load
        rps = [await scenario(port, _cycle(p), args.clients, 1500, 5) for _, p in plans[:2]]
        ratios.append(rps[1]["rps"] / rps[0]["rps"])
    for name, paths in plans:
        await scenario(port, _cycle(paths), args.clients, 100, 5)  # warm-up
        single = await scenario(port, _cycle(paths), 1, min(args.requests, 1000), args.seconds / 2)
        result = await scenario(port, _cycle(paths), args.clients, args.requests, args.seconds)
        result["single_p50"], result["single_p99"] = single["p50"], single["p99"]
        results.append((name, result))
    return results, ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--titles", type=int, default=15000)
    parser.add_argument("--episodes-per-title", type=int, default=27)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="serve an existing --db built with the same arguments (pending migrations applied)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.db, args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "anibridge.db"
        began = time.perf_counter()
        reuse = args.reuse and db.exists()
        samples, counts = asyncio.run(
            build(db, args.titles, args.episodes_per_title, write=not reuse)
        )
        print(
            f"catalog: {counts['titles']:,} titles, {counts['eps']:,} episodes, "
            f"{counts['langs']:,} language rows, {counts['sm']:,} series mappings, "
            f"{counts['em']:,} episode mappings — "
            f"{'reused' if reuse else 'built'} in {time.perf_counter() - began:.1f} s"
        )
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--db", str(db), "--port", str(port)]
        )
        try:
            results, ratios = asyncio.run(load(port, samples, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"\nLatency seen by the client: one client alone (≤ 1000 requests), then {args.clients}"
        f" concurrent keep-alive clients (≤ {args.requests} requests or {args.seconds:.0f} s)\n"
    )
    print(
        "| scenario | 1 client p50 ms | 1 client p99 ms | 8 clients req/s | 8 clients p50 ms |"
        " 8 clients p99 ms | requests | non-200 | empty feeds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results:
        print(
            f"| {name} | {r['single_p50']:.2f} | {r['single_p99']:.2f} | {r['rps']:.0f} | "
            f"{r['p50']:.2f} | {r['p99']:.2f} | {r['n']} | {r['errors']} | {r['empty']} |"
        )
    hello = results[0][1]["rps"]
    caps = results[1][1]["rps"]
    print(f"\ncaps / hello-world req/s in the table: {caps / hello:.2f}")
    print(
        f"caps / hello-world req/s, {len(ratios)} alternating rounds of 8 clients × ≤ 1,500"
        f" requests: {', '.join(f'{r:.2f}' for r in ratios)}; median"
        f" {statistics.median(ratios):.2f} (target ≥ 0.80)"
    )


if __name__ == "__main__":
    main()
