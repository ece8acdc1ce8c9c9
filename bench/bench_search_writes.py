"""Write-side cost of the search indexes (issue 12, 7b): what the triggers that keep
``titles.search_text`` (migration 0019) and the recency-ordered FTS5 index ``title_recent``
(migration 0020) cost the catalog's writers.

Two phases on a fresh database, plain ``sqlite3`` (the triggers are the cost; the Writer adds
the same overhead to both sides), each timed as the best of ``--rounds``:

* bulk: the tests' generated catalog (``tests/torznab/gencatalog.py``: titles, aliases,
  mappings under every status, up to 6 episodes with their language rows, episode mappings);
* updates: on that catalog, new releases for existing titles (each raises its title's newest
  release: one index row deleted and inserted), aliases added and canonical years changed, in
  transactions of 500 statements like the pipeline's batches.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--titles", type=int, default=20000)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bulk, updates = [], []
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"writes-{round_}.db"
            began = time.perf_counter()
            gencatalog.build(path, args.titles, seed=1, episodes=6)
            bulk.append(time.perf_counter() - began)
            updates.append(_updates(path, args.titles, args.updates))
            size = path.stat().st_size
    every_bulk = ", ".join(f"{b:.2f}" for b in bulk)
    every_update = ", ".join(f"{u:.2f}" for u in updates)
    print(
        f"titles {args.titles}: bulk best {min(bulk):.2f} s (all {every_bulk});"
        f" {args.updates} updates best {min(updates):.2f} s (all {every_update});"
        f" database {size / 1e6:.1f} MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
