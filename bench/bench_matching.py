"""Matching throughput: provider titles matched against a large canonical candidate set.

Builds 50,000 canonical candidates (TVDB-like: canonical name, alternative titles, year) from a
deterministic generated catalog, then matches 10,000 provider titles (the sites' own names and
aliases, German titles, missing "The", romaji aliases) against all of them through
``CandidateIndex`` (explicit ids, exact keys, token blocking, then rapidfuzz scoring of what the
blocking lets through). For reference it also measures, in the same run:

* ``match_title`` over a small candidate list as the canonical stage uses it (one title's search
  answers, ~10–30 candidates),
* scoring every one of the 50,000 candidates for a small sample of titles (no index),
* ``map_episodes`` for a 50-episode title with split-cour numbering.

Every loop is bounded in count; the figures are printed, ratios are within this run.

    python bench/bench_matching.py [--candidates 50000] [--titles 10000] [--naive 20]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anibridge_like.catalog.matching import (
    Candidate,
    CandidateIndex,
    Query,
    SiteEpisode,
    map_episodes,
    match_title,
)
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.plugins.metadata import MetaEpisode


def build(size: int) -> tuple[list[Candidate], list[tuple[Query, str]]]:
    catalog = GeneratedCatalog("sto", size, seed=5, episodes_per_title=1)
    candidates: list[Candidate] = []
    queries: list[tuple[Query, str]] = []
    for t in catalog:
        key = str(t.index)  # generated tvdb ids collide at this size; the index does not
        alternatives = [a for a in t.aliases if a != t.canonical_title]
        if t.tvdb_id is not None and t.tvdb_id % 2 == 0 and t.title != t.canonical_title:
            alternatives.append(t.title)
        candidates.append(Candidate(key, (t.canonical_title, *alternatives), t.year))
        queries.append((Query((t.title, *t.aliases), t.year), key))
    return candidates, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=20)
    args = parser.parse_args()

    t0 = time.perf_counter()
    candidates, queries = build(args.candidates)
    t1 = time.perf_counter()
    index = CandidateIndex(candidates)
    t2 = time.perf_counter()
    rng = random.Random(7)
    sample = rng.sample(queries, min(args.titles, len(queries)))
    outcomes = []
    for query, _truth in sample:
        outcomes.append(index.match(query))
    t3 = time.perf_counter()
    served = [
        (truth, o.best.id)
        for (_, truth), o in zip(sample, outcomes, strict=True)
        if o.best is not None and o.status in ("confirmed", "high")
    ]
    matched = sum(1 for truth, got in served if truth == got)
    wrong = len(served) - matched
    same_name_year: dict[tuple[str, int | None], set[str]] = {}
    for cand in candidates:
        for key, _hint in cand.keys:
            same_name_year.setdefault((key, cand.year), set()).add(cand.id)
    ambiguous = sum(
        1
        for q, _ in sample
        if any(len(same_name_year.get((key, q.year), ())) > 1 for key, _hint in q.keys)
    )
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    indexed_rate = len(sample) / (t3 - t2)

    # one title's search answers, as the canonical stage matches them
    small = [
        (q, [candidates[i] for i in rng.sample(range(len(candidates)), 20)])
        for q, _ in sample[:2000]
    ]
    t4 = time.perf_counter()
    for q, cands in small:
        match_title(q, cands)
    small_rate = len(small) / (time.perf_counter() - t4)

    naive = sample[: args.naive]
    t5 = time.perf_counter()
    for q, _ in naive:
        match_title(q, candidates)
    naive_rate = len(naive) / (time.perf_counter() - t5)

    meta = [
        MetaEpisode(s, e, (s - 1) * 24 + e, None, {"en": f"Episode {s}-{e}"})
        for s in (1, 2)
        for e in range(1, 25)
    ]
    site = [
        SiteEpisode(
            i,
            1 + (i - 1) // 12,
            1 + (i - 1) % 12,
            None,
            "episode",
            {"en": f"Episode {1 + (i - 1) // 24}-{1 + (i - 1) % 24}"},
        )
        for i in range(1, 49)
    ]
    rounds = 300
    t6 = time.perf_counter()
    for _ in range(rounds):
        map_episodes(site, meta)
    episodes_rate = rounds / (time.perf_counter() - t6)

    print(
        f"candidates: {len(candidates):,} (built in {t1 - t0:.1f} s); "
        f"index built in {t2 - t1:.2f} s"
    )
    print(
        f"indexed matching: {len(sample):,} titles in {t3 - t2:.2f} s = "
        f"{indexed_rate:,.0f} titles/s"
    )
    print(
        f"  right id served (confirmed/high): {matched / len(sample):.1%}; "
        f"wrong id served: {wrong}; outcomes: {dict(sorted(statuses.items()))}"
    )
    print(
        "  titles with a name another candidate of the same year also carries "
        f"(truly ambiguous in the generated data): {ambiguous / len(sample):.1%}"
    )
    print(f"stage-style match over 20 candidates: {small_rate:,.0f} titles/s")
    print(
        f"no index, all {len(candidates):,} candidates scored: {naive_rate:,.2f} titles/s "
        f"(indexed is {indexed_rate / naive_rate:,.0f}x faster)"
    )
    print(f"map_episodes, 48 split-cour episodes: {episodes_rate:,.0f} titles/s")


if __name__ == "__main__":
    main()
