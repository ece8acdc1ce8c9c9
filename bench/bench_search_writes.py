"""Write-side cost of the search indexes (issue 12, 7b): what the triggers that keep
``titles.search_text`` (migration 0019) and the recency-ordered FTS5 index ``title_recent``
(migration 0020) cost the catalog's writers.

Three phases on fresh databases, plain ``sqlite3`` (the triggers are the cost; the Writer adds
the same overhead to both sides), each timed as the best of ``--rounds``:

* bulk: the tests' generated catalog (``tests/torznab/gencatalog.py``: titles, aliases,
  mappings under every status, up to 6 episodes with their language rows, episode mappings) in
  one transaction. Its releases are at distinct, rising times, so nearly every language row
  raises its title's newest release to a new second: the worst case for ``title_recent``;
* updates: on that catalog, new releases for existing titles (each raises its title's newest
  release: one index row deleted and inserted), aliases added and canonical years changed, in
  transactions of 500 statements;
* batches: titles written the way the detail stage persists them (``catalog/episodes.py``):
  20 titles per transaction, each with 6 episodes in two languages, every language row of a
  batch at the batch's moment.

Run it once per code version (``PYTHONPATH=<checkout>``) to compare.

    python bench/bench_search_writes.py [--titles 20000] [--updates 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anibridge_like.storage.migrate import apply_migrations
from tests.torznab import gencatalog

LATER = datetime(2026, 6, 1, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _updates(path: Path, titles: int, count: int) -> float:
    rng = random.Random(3)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    episode = conn.execute("SELECT max(id) FROM episodes").fetchone()[0] + 1
    began = time.perf_counter()
    for start in range(0, count, 500):
        conn.execute("BEGIN")
        for n in range(start, min(count, start + 500)):
            title = rng.randint(1, titles)
            seen = _stamp(LATER + timedelta(milliseconds=250 * n))
            conn.execute(
                "INSERT INTO episodes(id, title_id, season, number, first_seen)"
                " VALUES (?, ?, 9, ?, ?)",
                (episode, title, episode, seen),
            )
            conn.execute(
                "INSERT INTO episode_languages(episode_id, language, first_seen)"
                " VALUES (?, 'de_dub', ?)",
                (episode, seen),
            )
            episode += 1
            if n % 5 == 0:
                conn.execute(
                    "INSERT OR IGNORE INTO title_aliases(title_id, alias) VALUES (?, ?)",
                    (title, f"Alias {n} Dragon"),
                )
            if n % 5 == 1:
                conn.execute(
                    "UPDATE series_mappings SET canonical_year = ? WHERE title_id = ?",
                    (rng.randint(1990, 2026), title),
                )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def _batches(path: Path, titles: int) -> float:
    """``titles`` titles with their releases, 20 per transaction, one moment per batch."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    episode = 0
    began = time.perf_counter()
    for start in range(1, titles + 1, 20):
        moment = _stamp(LATER + timedelta(milliseconds=400 * start))
        conn.execute("BEGIN")
        for title in range(start, min(titles + 1, start + 20)):
            conn.execute(
                "INSERT INTO titles(id, site, slug, title, kind, year, generation, first_seen,"
                " updated_at) VALUES (?, 'sto', ?, ?, 'series', 2013, 1, ?, ?)",
                (title, f"b{title}", f"Dragon Saga {title}", moment, moment),
            )
            conn.execute(
                "INSERT INTO title_aliases(title_id, alias) VALUES (?, ?)",
                (title, f"Drachen {title}"),
            )
            for number in range(1, 7):
                episode += 1
                conn.execute(
                    "INSERT INTO episodes(id, title_id, season, number, first_seen)"
                    " VALUES (?, ?, 1, ?, ?)",
                    (episode, title, number, moment),
                )
                conn.executemany(
                    "INSERT INTO episode_languages(episode_id, language, first_seen)"
                    " VALUES (?, ?, ?)",
                    [(episode, "de_dub", moment), (episode, "de_sub", moment)],
                )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--titles", type=int, default=20000)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bulk, updates, batches = [], [], []
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"writes-{round_}.db"
            began = time.perf_counter()
            gencatalog.build(path, args.titles, seed=1, episodes=6)
            bulk.append(time.perf_counter() - began)
            updates.append(_updates(path, args.titles, args.updates))
            size = path.stat().st_size
            fresh = Path(tmp) / f"batches-{round_}.db"
            apply_migrations(fresh)
            batches.append(_batches(fresh, args.titles))
    every_bulk = ", ".join(f"{b:.2f}" for b in bulk)
    every_update = ", ".join(f"{u:.2f}" for u in updates)
    every_batch = ", ".join(f"{b:.2f}" for b in batches)
    print(
        f"titles {args.titles}: bulk best {min(bulk):.2f} s (all {every_bulk});"
        f" {args.updates} updates best {min(updates):.2f} s (all {every_update});"
        f" database {size / 1e6:.1f} MB; in batches of 20 best {min(batches):.2f} s"
        f" (all {every_batch})",
        flush=True,
    )


if __name__ == "__main__":
    main()
