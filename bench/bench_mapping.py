"""Mapping quality and cost: the canonical stage on generated catalogs plus a metadata world with
the discrepancies real catalogues have (:mod:`anibridge_like.demo.metadata.world`).

Prints precision / recall of served series, movies and episodes (overall and per phenomenon) and
the metadata requests per title. Bounded: one stage run over a few hundred titles.

    python bench/bench_mapping.py [--seed 11] [--anime 120] [--series 80] [--movies 80] [--wrong]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.writer import Writer
from tests.catalog.canonical_support import run_world


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--anime", type=int, default=120)
    parser.add_argument("--series", type=int, default=80)
    parser.add_argument("--movies", type=int, default=80)
    parser.add_argument("--wrong", action="store_true", help="list wrongly served items")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        settings = settings.model_copy(
            update={"backoff_base_seconds": 0.01, "retry_attempts": 2, "canonical_concurrency": 4}
        )
        apply_migrations(settings.database_path)
        sizes = {"aniworld": args.anime, "sto": args.series, "megakino": args.movies}
        async with (
            Writer(settings.database_path, queue_size=16) as writer,
            ReaderPool(settings.database_path, 2) as readers,
        ):
            run = await run_world(writer, readers, settings, seed=args.seed, sizes=sizes)
    print(
        f"titles {run.titles}, requests {run.requests}, per title {run.requests / run.titles:.2f}"
    )
    print(f"{'scope':<28} {'precision':>9} {'recall':>7} {'served':>7} {'expected':>8}")
    for key, s in sorted(run.scores.items(), key=lambda kv: (":" in kv[0], kv[0])):
        print(f"{key:<28} {s.precision:>9.4f} {s.recall:>7.4f} {s.served:>7} {s.expected:>8}")
        if args.wrong and ":" in key:
            for w in s.wrong[:6]:
                print(f"    wrong: {w}")


if __name__ == "__main__":
    asyncio.run(main())
