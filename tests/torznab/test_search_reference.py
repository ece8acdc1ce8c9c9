"""Text-search pages equal a brute-force evaluation (issue 12, 7b): on a generated catalog, for
sampled and broad queries, episode/season/absolute and year filters and offsets up to the served
cap, the rows :func:`~anibridge_like.torznab.feed.window_keys` draws from
:func:`~anibridge_like.torznab.sources.text_titles` are the first rows of *every* matching
title's rows in feed order (one SQL statement over the full FTS5 match, no walk, no early
stop) — with the candidates of the recency-ordered index read in the default chunks, one at a
time (every second's group split across chunks) and all at once."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import replace

import pytest

from anibridge_like.torznab import feed, sources
from anibridge_like.torznab.query import LOOSE, MAX_PAGED_OFFSET, Query
from anibridge_like.torznab.search import fold_words, match_expression
from tests.torznab.gencatalog import ALLOWED, build, reference_keys, served_keys

BROAD = ["dragon", "dra", "the", "ii", "v", "2", "100", "drake saga", "no", "größe", "tokyo",
         "ecole", "cafe", "shojo uta", "moon river", "a"]  # fmt: skip


@pytest.fixture(scope="module")
def catalog(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[sqlite3.Connection, list[str]]]:
    path = tmp_path_factory.mktemp("reference") / "catalog.db"
    generated = build(path, 3000, seed=5)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rng = random.Random(3)
    yield conn, BROAD + rng.sample(generated.words, 8)
    conn.close()


PLANS: dict[str, dict[str, float]] = {
    "default": {},
    "one-candidate-chunks": {"FIRST_CHUNK": 1, "MAX_CHUNK": 1},
    "one-chunk": {"FIRST_CHUNK": 10**6, "MAX_CHUNK": 10**6},
}
FILTERS: dict[str, dict[str, object]] = {
    "none": {},
    "season": {"season": 1},
    "episode": {"season": 1, "episode": 2},
    "absolute": {"absolute": 3},
    "years": {"years": (2000, 2010)},
    "canonical-numbering": {"season": 2, "episode": 14},
}


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("filters", sorted(FILTERS))
def test_text_pages_equal_the_full_evaluation(
    catalog: tuple[sqlite3.Connection, list[str]],
    plan: str,
    filters: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn, texts = catalog
    for name, value in PLANS[plan].items():
        monkeypatch.setattr(sources, name, value)
    checked = matched = 0
    for text in texts:
        match = match_expression(fold_words(text))
        assert match is not None
        for offset, limit in ((0, 100), (MAX_PAGED_OFFSET, 100), (37, 20)):
            query = Query(ALLOWED, limit, offset, match=match, numbering=LOOSE)
            query = replace(query, **FILTERS[filters])  # type: ignore[arg-type]
            want = reference_keys(conn, query)
            assert served_keys(conn, query) == want, (text, offset, limit)
            checked += 1
            matched += bool(want)
    assert matched > checked // 3  # the queries do find rows (the comparison means something)


def test_deep_pages_of_a_broad_query_are_full(
    catalog: tuple[sqlite3.Connection, list[str]],
) -> None:
    """The served cap's page of a broad query is a full page (the walk is not cut short)."""
    conn, _ = catalog
    query = Query(ALLOWED, 100, MAX_PAGED_OFFSET, match=match_expression(["dragon"]))
    with sources.text_titles(conn, query) as titles:
        page = feed.page(conn, query, titles)
    assert len(page.hits) == 100
