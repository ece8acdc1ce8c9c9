"""Rows/s persisted through the Writer vs plain sqlite3.executemany, same rows, same run.

1,000,000 episode-like rows (title_id, season, number, absolute, kind, names, first_seen) in
batches of 10,000, each batch one transaction, into a fresh database with the real schema's
episodes table. Target: writer rate ≥ 0.8 × raw rate.

    python bench/bench_writer.py [--rows 1000000] [--batch 10000] [--repeat 5]

With ``--repeat N`` the pair is measured N times (raw first on even runs, the Writer first on odd
ones) and the spread of the ratio is printed: min / median / max.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiosqlite

from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.writer import Writer

SQL = (
    "INSERT INTO episodes(title_id, season, number, absolute, kind, names, first_seen)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
Row = tuple[int, int, int, int, str, str, str]


def batches(total: int, size: int, titles: int) -> Iterator[list[Row]]:
    per_title = max(1, total // titles)
    batch: list[Row] = []
    for i in range(total):
        title = i // per_title + 1
        n = i % per_title
        batch.append(
            (
                title,
                n // 24 + 1,
                n % 24 + 1,
                n + 1,
                "episode",
                '{"de": "Folge", "en": "Episode"}',
                "2026-11-22T00:00:00+00:00",
            )
        )
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def prepare(path: Path, titles: int) -> None:
    apply_migrations(path)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO titles(id, site, slug, title, kind, generation, first_seen, updated_at)"
            " VALUES (?, 'bench', ?, ?, 'series', 1, 't', 't')",
            [(i, f"s{i}", f"Title {i}") for i in range(1, titles + 1)],
        )


def raw(path: Path, total: int, size: int, titles: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    start = time.perf_counter()
    for batch in batches(total, size, titles):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(SQL, batch)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


async def through_writer(path: Path, total: int, size: int, titles: int) -> tuple[float, float]:
    async with Writer(path, queue_size=4) as writer:
        start = time.perf_counter()
        futures = []
        for batch in batches(total, size, titles):

            async def unit(conn: aiosqlite.Connection, rows: list[Row] = batch) -> None:
                await conn.executemany(SQL, rows)

            futures.append(await writer.submit(unit))  # waits when the queue is full
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - start
        utilisation = writer.stats.busy_seconds / elapsed
    return elapsed, utilisation


def measure(rows: int, batch: int, titles: int, writer_first: bool) -> float:
    """One raw/Writer pair on fresh databases; prints both rates, returns the ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "raw.db", Path(tmp) / "writer.db"
        prepare(a, titles)
        prepare(b, titles)
        if writer_first:
            writer_s, util = asyncio.run(through_writer(b, rows, batch, titles))
            raw_s = raw(a, rows, batch, titles)
        else:
            raw_s = raw(a, rows, batch, titles)
            writer_s, util = asyncio.run(through_writer(b, rows, batch, titles))
    raw_rate, writer_rate = rows / raw_s, rows / writer_s
    print(f"raw sqlite3.executemany : {raw_rate:>10,.0f} rows/s ({raw_s:.2f} s)")
    print(
        f"through the Writer      : {writer_rate:>10,.0f} rows/s ({writer_s:.2f} s)"
        f"  writer busy {util:.0%}"
    )
    print(f"ratio writer/raw        : {writer_rate / raw_rate:.2f}  (target >= 0.80)", flush=True)
    return writer_rate / raw_rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--titles", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"rows={args.rows} batch={args.batch}")
    ratios = [
        measure(args.rows, args.batch, args.titles, writer_first=bool(run % 2))
        for run in range(args.repeat)
    ]
    if len(ratios) > 1:
        print(
            f"ratio over {len(ratios)} runs: min {min(ratios):.2f} / median "
            f"{statistics.median(ratios):.2f} / max {max(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
