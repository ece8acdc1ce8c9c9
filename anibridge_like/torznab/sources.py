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
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from itertools import islice
from math import ceil
from typing import Any

from anibridge_like.torznab.query import Query, Sql, TitleBound, pairs_sql
from anibridge_like.torznab.textmatch import Match, Verdict, compile_match

_NEWEST_OF_SLICE = (
    "SELECT id, newest_seen, newest_episode{texts} FROM titles INDEXED BY titles_newest"
    " WHERE site = ? AND kind = ? AND gone = 0 AND newest_seen IS NOT NULL"
    " ORDER BY newest_seen DESC, newest_episode"
)
"""One slice newest-first, from the index alone (it covers ``search_text``, migration 0019)."""
FIRST_READ = 64
"""FTS5 rows read before anything else: a match this small is sorted at once."""
READS_PER_WALKED = 0.35
"""FTS5 rows read for every title the walk examines (:func:`_hedged`): an FTS5 row with its
title's bound costs about 25 VM instructions, a walked index entry (texts included) about 9."""
WALK_BATCH = 16
"""Titles the walk tests at a time at first (doubling to 256)."""


def _rows(cursor: sqlite3.Cursor) -> Iterator[Any]:
    """A walk's rows, read in growing chunks: most pages need only its first few."""
    size = 4
    while rows := cursor.fetchmany(size):
        yield from rows
        size = min(size * 2, 256)


@contextmanager
def _walk(conn: sqlite3.Connection, query: Query, texts: bool = False) -> Iterator[Iterator[Any]]:
    """The allowed slices merged newest-first: bounds, with ``search_text`` for ``texts``."""
    cursors: list[sqlite3.Cursor] = []
    statement = _NEWEST_OF_SLICE.format(texts=", search_text" if texts else "")
    try:
        for site, kind in query.pairs:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursors.append(cursor.execute(statement, (site, kind)))
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


_USABLE_MAPPING = (
    "SELECT EXISTS (SELECT 1 FROM series_mappings WHERE title_id = ?"
    " AND status IN ('confirmed', 'high', 'low'))"
)
"""Whether a title's canonical name is searchable (the rule of
:data:`~anibridge_like.torznab.query.FTS_TITLES`)."""

_MATCHES = (
    "SELECT t.id, t.newest_seen, t.newest_episode, t.site, t.kind"
    " FROM title_search CROSS JOIN search_terms st ON st.id = title_search.rowid"
    " CROSS JOIN titles t ON t.id = st.title_id"
    " WHERE title_search MATCH :match AND t.gone = 0 AND t.newest_seen IS NOT NULL"
    " AND (st.source != 'canonical' OR EXISTS (SELECT 1 FROM series_mappings fsm"
    " WHERE fsm.title_id = st.title_id AND fsm.status IN ('confirmed', 'high', 'low')))"
)
"""Every FTS5 match with its title's bound, in the index's order (one row per matching text; the
same rule for canonical names as :data:`~anibridge_like.torznab.query.FTS_TITLES`)."""


def _order(title: TitleBound) -> tuple[str, int]:
    """Sort key of the bound order, for ``reverse=True``: newest_seen descending, then
    newest_episode ascending (a total order: newest_episode is an episode of the title)."""
    return (title[1] or "", -(title[2] or 0))


class _Matches:
    """The FTS5 side of a text search: its matches read in chunks, kept by title."""

    def __init__(self, conn: sqlite3.Connection, query: Query) -> None:
        assert query.match is not None
        self.cursor = conn.cursor()
        self.cursor.row_factory = None
        self.cursor.execute(_MATCHES, {"match": query.match})
        self.pairs = set(query.pairs)
        self.titles: dict[int, TitleBound] = {}
        self.done = False

    def read(self, rows: int) -> None:
        got = self.cursor.fetchmany(max(1, rows))
        for title_id, seen, episode, site, kind in got:
            if (site, kind) in self.pairs:
                self.titles[title_id] = (title_id, seen, episode)
        if len(got) < max(1, rows):
            self.done = True

    def after(self, last: TitleBound | None) -> list[TitleBound]:
        """The matching titles that sort after ``last`` (all of them for ``None``), in order."""
        found = list(self.titles.values())
        if last is not None:
            bound = _order(last)
            found = [t for t in found if _order(t) < bound]
        return sorted(found, key=_order, reverse=True)


def _hedged(
    conn: sqlite3.Connection, walk: Iterator[tuple[Any, ...]], match: Match, matches: _Matches
) -> Iterator[TitleBound]:
    """Walk the slices newest-first keeping the titles whose texts ``match`` accepts, while
    reading the FTS5 matches at a pace of equal cost; once those are all read, the rest of the
    result is their sorted tail. The walk wins when matching titles are dense among the newest,
    the sort when the match is small: a page costs at most about twice the cheaper plan, and
    the result is exact."""
    cursor = conn.cursor()
    cursor.row_factory = None
    last: TitleBound | None = None
    size = WALK_BATCH
    while batch := list(islice(walk, size)):
        for title_id, seen, episode, text in batch:
            verdict = match.title(text or "")
            if verdict is Verdict.CANONICAL_ONLY:
                verdict = Verdict(cursor.execute(_USABLE_MAPPING, (title_id,)).fetchone()[0])
            if verdict:
                last = (title_id, seen, episode)
                yield last
        matches.read(ceil(len(batch) * READS_PER_WALKED))
        if matches.done:
            yield from matches.after(last)
            return
        size = min(size * 2, 256)


@contextmanager
def text_titles(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[TitleBound]]:
    """The live titles of the allowed slices the full-text match selects, newest first, exact.

    The first :data:`FIRST_READ` FTS5 rows are read at once: a match that small is sorted by its
    bounds (read along with it). A broader one is served by :func:`_hedged`: the newest-first
    walk of the slices, the terms of walked titles tested in Python by
    :mod:`~anibridge_like.torznab.textmatch`, against reading every match and sorting — whichever
    finishes first. A page costs what the cheaper of the two costs, neither all the matches of a
    broad query nor a walk of the catalog for a narrow one.

    A superset is fine: the page's rows are filtered again (years, episodes) by
    :class:`~anibridge_like.torznab.query.PageKeys`."""
    matches = _Matches(conn, query)
    try:
        matches.read(FIRST_READ)
        match = None if matches.done else compile_match(query.match or "")
        if match is None:
            # a small match, or not an expression of ours: read every match (exact)
            while not matches.done:
                matches.read(4096)
            yield iter(matches.after(None))
            return
        with _walk(conn, query, texts=True) as walk:
            yield _hedged(conn, walk, match, matches)
    finally:
        matches.cursor.close()


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
