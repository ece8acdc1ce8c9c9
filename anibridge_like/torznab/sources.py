"""Title sources: the titles a page may draw from, in bound order (newest release first).

Each source is a context manager yielding ``(title_id, newest_seen, newest_episode)`` tuples
(:data:`~anibridge_like.torznab.query.TitleBound`) sorted by ``newest_seen DESC,
newest_episode``; :mod:`anibridge_like.torznab.feed` reads only as many as the page needs.
Cursors close on exit, on the connection's thread.

- :func:`rss_titles`: every live title of the allowed (site, kind) slices — one lazy walk of the
  ``titles_newest`` index per slice, merged.
- :func:`text_titles`: the titles the FTS5 match selects. A narrow match sorts its few titles
  (a row lookup each); a broader one walks the slices' indexes like RSS and keeps the matching
  titles, which turn up within the first few dozen entries (:func:`walks` chooses); a match of
  more than :data:`CANDIDATE_CAP` titles is never read whole (bounded walk, terms tested in
  Python).
- :func:`id_titles`: the titles the request's ids resolve to (no bound: all of them are read).
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from anibridge_like.torznab.query import (
    FTS_TITLES,
    Query,
    Sql,
    TitleBound,
    pairs_sql,
    years_sql,
)
from anibridge_like.torznab.textmatch import Matcher, compile_match

_NEWEST_OF_SLICE = (
    "SELECT id, newest_seen, newest_episode FROM titles INDEXED BY titles_newest"
    " WHERE site = ? AND kind = ? AND gone = 0 AND newest_seen IS NOT NULL"
    " ORDER BY newest_seen DESC, newest_episode"
)
WALK_TITLES_NEEDED = 8
"""Titles a page typically draws from (a walk's cost is about ``total / matches`` index entries
per title it keeps)."""
WALK_TITLES_NEEDED_NARROW = 64
"""The same with an episode or year filter, where most titles add nothing to the page."""
CANDIDATE_CAP = 2000
"""Most FTS5 matches read for one text search; beyond it the match is broad and served by a
bounded walk (:func:`text_titles`)."""
WALK_CAP = 5000
"""Most titles a broad text search examines (newest first): a broad match at 150k titles has
hundreds of matching titles among them, far more than a page or the pages clients ask for."""
WALK_STEP_VS_LOOKUP = 0.7
"""Cost of one title of a walk (an index entry read and tested in Python) relative to sorting
one matching title (a row lookup): measured ≈ 1 vs 1.5 µs."""


def _rows(cursor: sqlite3.Cursor) -> Iterator[TitleBound]:
    """A walk's rows, read in growing chunks: most pages need only its first few."""
    size = 4
    while rows := cursor.fetchmany(size):
        yield from rows
        size = min(size * 2, 256)


@contextmanager
def _walk(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[TitleBound]]:
    cursors: list[sqlite3.Cursor] = []
    try:
        for site, kind in query.pairs:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursors.append(cursor.execute(_NEWEST_OF_SLICE, (site, kind)))
        # reverse=True: newest_seen descending, then newest_episode ascending
        yield heapq.merge(
            *(_rows(c) for c in cursors), key=lambda t: (t[1], -(t[2] or 0)), reverse=True
        )
    finally:
        for cursor in cursors:
            cursor.close()


def rss_titles(
    conn: sqlite3.Connection, query: Query
) -> AbstractContextManager[Iterator[TitleBound]]:
    """Every live title of the allowed slices, newest release first."""
    return _walk(conn, query)


def walks(matches: int, total: int, narrow: bool) -> bool:
    """Plan choice for a text match: sorting costs a row lookup per matching title; walking the
    newest-first index costs about ``total / matches`` entries per title the page needs."""
    needed = WALK_TITLES_NEEDED_NARROW if narrow else WALK_TITLES_NEEDED
    return matches * matches > total * needed * WALK_STEP_VS_LOOKUP


_TERMS_OF = (
    "SELECT st.title_id, st.text FROM search_terms st"
    " WHERE st.title_id IN (SELECT value FROM json_each(:ids))"
    " AND (st.source != 'canonical' OR EXISTS (SELECT 1 FROM series_mappings fsm"
    " WHERE fsm.title_id = st.title_id AND fsm.status IN ('confirmed', 'high', 'low')))"
)
"""A batch of titles' searchable texts, with the same rule for canonical names as
:data:`~anibridge_like.torznab.query.FTS_TITLES`."""


def _matching(
    conn: sqlite3.Connection, titles: Iterator[TitleBound], matcher: Matcher
) -> Iterator[TitleBound]:
    """The walked titles whose terms match, testing at most :data:`WALK_CAP` titles."""
    batch: list[TitleBound] = []
    size, examined = 8, 0
    cursor = conn.cursor()
    cursor.row_factory = None
    for title in titles:
        batch.append(title)
        examined += 1
        if len(batch) < size and examined < WALK_CAP:
            continue
        texts: dict[int, list[str]] = {}
        ids = json.dumps([t[0] for t in batch])
        for title_id, text in cursor.execute(_TERMS_OF, {"ids": ids}):
            texts.setdefault(title_id, []).append(text)
        yield from (t for t in batch if matcher(texts.get(t[0], ())))
        batch.clear()
        size = min(size * 2, 256)
        if examined >= WALK_CAP:
            return


@contextmanager
def text_titles(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[TitleBound]]:
    """The live titles of the allowed slices the full-text match selects, newest first.

    At most :data:`CANDIDATE_CAP` + 1 matches are read from FTS5 (a stream that stops there). A
    match that small is exact: its titles are sorted, or found by walking the newest-first
    index when that is cheaper (:func:`walks`). A broader one is served from the newest
    :data:`WALK_CAP` titles of the slices, each tested by :mod:`~anibridge_like.torznab.textmatch`
    — the cost of a search no longer grows with the catalog or the number of matches.

    A superset is fine: the page's rows are filtered again (years, episodes) by
    :class:`~anibridge_like.torznab.query.PageKeys`."""
    assert query.match is not None
    sql = Sql()
    fts = FTS_TITLES.format(match=sql.p(query.match))
    cursor = conn.cursor()
    cursor.row_factory = None
    matched = [
        row[0]
        for row in cursor.execute(
            f"SELECT DISTINCT title_id FROM ({fts}) LIMIT {CANDIDATE_CAP + 1}", sql.params
        )
    ]
    if not matched:
        yield iter(())
        return
    if len(matched) > CANDIDATE_CAP:
        matcher = compile_match(query.match)
        if matcher is not None:
            with _walk(conn, query) as titles:
                yield _matching(conn, titles, matcher)
            return
        # not an expression of ours: read every match (exact, unbounded)
        matched = [
            row[0] for row in cursor.execute(f"SELECT DISTINCT title_id FROM ({fts})", sql.params)
        ]
    total = conn.execute("SELECT max(id) FROM titles").fetchone()[0] or 0
    narrow = query.years is not None or any(
        x is not None for x in (query.season, query.episode, query.absolute)
    )
    if walks(len(matched), total, narrow):
        members = set(matched)
        with _walk(conn, query) as titles:
            yield (title for title in titles if title[0] in members)
        return
    sql = Sql()
    sql.params["matched"] = json.dumps(matched)
    text = (
        "SELECT id, newest_seen, newest_episode FROM titles"
        " WHERE id IN (SELECT value FROM json_each(:matched))"
        f" AND gone = 0 AND newest_seen IS NOT NULL AND {pairs_sql(sql, query.pairs, 'titles')}"
        f"{years_sql(sql, query.years, 'titles')}"
        " ORDER BY newest_seen DESC, newest_episode"
    )
    yield iter(cursor.execute(text, sql.params).fetchall())


@contextmanager
def id_titles(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[TitleBound]]:
    """Titles the ids identify: the highest-priority id (tvdb > imdb > tmdb) that resolves
    through a confirmed/high mapping within the allowed slices wins."""
    sql = Sql()
    ids = [(1, "tvdb_id", query.tvdbid), (2, "imdb_id", query.imdbid), (3, "tmdb_id", query.tmdbid)]
    present = [(prio, col, sql.p(v)) for prio, col, v in ids if v is not None]
    prio = " ".join(f"WHEN sm2.{col} = {ph} THEN {n}" for n, col, ph in present)
    text = (
        "WITH matched AS (SELECT sm2.title_id AS title_id, "
        f"CASE {prio} END AS prio FROM series_mappings sm2 "
        "JOIN titles t2 ON t2.id = sm2.title_id "
        f"WHERE ({' OR '.join(f'sm2.{col} = {ph}' for _, col, ph in present)}) "
        f"AND sm2.status IN ('confirmed', 'high') AND t2.gone = 0 "
        f"AND {pairs_sql(sql, query.pairs, 't2')}) "
        "SELECT title_id FROM matched WHERE prio = (SELECT min(prio) FROM matched)"
        " ORDER BY title_id"
    )
    yield iter([(int(row[0]), None, None) for row in conn.execute(text, sql.params)])
