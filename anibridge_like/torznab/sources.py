"""Title sources: the titles a page may draw from, in bound order (newest release first).

Each source is a context manager yielding ``(title_id, newest_seen, newest_episode)`` tuples
(:data:`~anibridge_like.torznab.query.TitleBound`) sorted by ``newest_seen DESC,
newest_episode``; :mod:`anibridge_like.torznab.feed` reads only as many as the page needs.
Cursors close on exit, on the connection's thread.

- :func:`rss_titles`: every live title of the allowed (site, kind) slices — one lazy walk of the
  ``titles_newest`` index per slice, merged.
- :func:`text_titles`: the titles the FTS5 match selects, exactly. A small match is resolved
  and sorted (a row lookup each); a broader one walks the slices' index like RSS, testing each
  title's texts (covered by the index, migration 0019) in Python, while the FTS5 rows are
  counted alongside; the whole match is resolved only once that is cheaper than the walk ahead.
  The cost of a page is about the cheaper of ``25 × matching rows`` and ``8 × titles walked``
  VM instructions (plus the page's own rows): the walk, whose length depends on how dense the
  matches are among the newest titles and not on the catalog's size, serves broad matches.
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

from anibridge_like.torznab.query import Query, Sql, TitleBound, pairs_sql, years_sql
from anibridge_like.torznab.textmatch import Match, Verdict, compile_match

_NEWEST_OF_SLICE = (
    "SELECT id, newest_seen, newest_episode{texts} FROM titles INDEXED BY titles_newest"
    " WHERE site = ? AND kind = ? AND gone = 0 AND newest_seen IS NOT NULL"
    " ORDER BY newest_seen DESC, newest_episode"
)
"""One slice newest-first, from the index alone (it covers ``search_text``, migration 0019)."""
FIRST_READ = 256
"""FTS5 rows counted before anything else: a match this small is resolved and sorted at once."""
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
    statement = _NEWEST_OF_SLICE.format(texts=", search_text, year" if texts else "")
    try:
        for site, kind in query.pairs:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursors.append(cursor.execute(statement, (site, kind)))
        if len(cursors) == 1:
            yield _rows(cursors[0])
        else:
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
_TRUSTED_YEAR = (
    "SELECT EXISTS (SELECT 1 FROM series_mappings WHERE title_id = ?"
    " AND status IN ('confirmed', 'high') AND canonical_year BETWEEN ? AND ?)"
)
"""Whether a title's trusted canonical year is within the years asked (the rule of
:func:`~anibridge_like.torznab.query.years_sql`)."""

_COUNT = "SELECT rowid FROM title_search WHERE title_search MATCH ?"
"""The FTS5 matches' rows, counted: about 3 VM instructions a row."""
_RESOLVE = (
    "SELECT t.id, t.newest_seen, t.newest_episode"
    " FROM title_search CROSS JOIN search_terms st ON st.id = title_search.rowid"
    " CROSS JOIN titles t ON t.id = st.title_id"
    " WHERE title_search MATCH {match} AND t.gone = 0 AND t.newest_seen IS NOT NULL"
    " AND {pairs}{years}"
    " AND (st.source != 'canonical' OR EXISTS (SELECT 1 FROM series_mappings fsm"
    " WHERE fsm.title_id = st.title_id AND fsm.status IN ('confirmed', 'high', 'low')))"
)
"""Every FTS5 match of the allowed slices with its title's bound (one row per matching text;
the same rule for canonical names as :data:`~anibridge_like.torznab.query.FTS_TITLES`): about
25 VM instructions a row."""
COUNT_COST, RESOLVE_COST, WALK_COST = 3, 25, 8
"""VM instructions per FTS5 row counted, per FTS5 row resolved and sorted, per title walked."""
ROWS_PER_TITLE = 1.5
"""Feed rows a matching title adds to a page, for the first estimate of the titles a page
needs (100 rows took 50–60 titles on the generated catalogs)."""


def _order(title: TitleBound) -> tuple[str, int]:
    """Sort key of the bound order, for ``reverse=True``: newest_seen descending, then
    newest_episode ascending (a total order: newest_episode is an episode of the title)."""
    return (title[1] or "", -(title[2] or 0))


class _Matches:
    """The FTS5 side of a text search: its rows counted in chunks, resolved once."""

    def __init__(self, conn: sqlite3.Connection, query: Query) -> None:
        assert query.match is not None
        self.conn, self.query = conn, query
        self.cursor = conn.cursor()
        self.cursor.row_factory = None
        self.cursor.execute(_COUNT, (query.match,))
        self.rows = 0
        self.done = False

    def count(self, rows: int) -> None:
        rows = max(1, rows)
        got = len(self.cursor.fetchmany(rows))
        self.rows += got
        if got < rows:
            self.done = True

    def after(self, last: TitleBound | None) -> list[TitleBound]:
        """The matching titles that sort after ``last`` (all of them for ``None``), in order."""
        sql = Sql()
        text = _RESOLVE.format(
            match=sql.p(self.query.match),
            pairs=pairs_sql(sql, self.query.pairs, "t"),
            years=years_sql(sql, self.query.years, "t"),
        )
        cursor = self.conn.cursor()
        cursor.row_factory = None
        found = {row[0]: row for row in cursor.execute(text, sql.params)}.values()
        if last is not None:
            bound = _order(last)
            found = [t for t in found if _order(t) < bound]  # type: ignore[assignment]
        return sorted(found, key=_order, reverse=True)

    def cheaper_than_walking(self, walked: int, found: int) -> bool:
        """Whether resolving every match costs less than the walk still ahead: the titles a
        page needs (the first estimate from its size, then twice those found so far — the
        page still asks for more) at the density seen so far."""
        if not self.done:
            return False
        needed = max(self.query.window / ROWS_PER_TITLE, 2 * found) - found
        ahead = WALK_COST * needed * (walked + 1) / (found + 1)
        return RESOLVE_COST * self.rows < ahead


def _hedged(
    walk: Iterator[tuple[Any, ...]], match: Match, matches: _Matches
) -> Iterator[TitleBound]:
    """Walk the slices newest-first keeping the titles whose texts ``match`` accepts (and whose
    year fits, when the query asks years), while counting the FTS5 matches at a pace of equal
    cost; once their number says resolving them all costs less than the walk still ahead, the
    rest of the result is their sorted tail. The walk wins when matching titles are dense among
    the newest, the sort when the match is small; the result is exact either way."""
    cursor = matches.conn.cursor()
    cursor.row_factory = None
    last: TitleBound | None = None
    size, walked, found = WALK_BATCH, 0, 0
    years = matches.query.years
    low, high = years or (0, 0)
    while batch := list(islice(walk, size)):
        for title_id, seen, episode, text, year in batch:
            verdict = match.title(text or "")
            if verdict is Verdict.CANONICAL_ONLY:
                verdict = Verdict(cursor.execute(_USABLE_MAPPING, (title_id,)).fetchone()[0])
            if verdict and years is not None and not (year is not None and low <= year <= high):
                verdict = Verdict(cursor.execute(_TRUSTED_YEAR, (title_id, *years)).fetchone()[0])
            if verdict:
                last = (title_id, seen, episode)
                found += 1
                yield last
        walked += len(batch)
        if not matches.done:
            matches.count(ceil(len(batch) * WALK_COST / COUNT_COST))
        if matches.cheaper_than_walking(walked, found):
            yield from matches.after(last)
            return
        size = min(size * 2, 256)


@contextmanager
def text_titles(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[TitleBound]]:
    """The live titles of the allowed slices the full-text match selects, newest first, exact.

    The first :data:`FIRST_READ` FTS5 rows are counted at once: a match that small is resolved
    and sorted by its titles' bounds. A broader one is served by :func:`_hedged`: the
    newest-first walk of the slices, each title's texts (in the walked index, migration 0019)
    tested in Python by :mod:`~anibridge_like.torznab.textmatch`, until resolving the whole
    match is the cheaper way to finish. A page costs about what the cheaper plan costs:
    neither every match of a broad query nor a walk of the catalog for a narrow one.

    A superset is fine: the page's rows are filtered again (years, episodes) by
    :class:`~anibridge_like.torznab.query.PageKeys`."""
    matches = _Matches(conn, query)
    try:
        matches.count(FIRST_READ)
        match = None if matches.done else compile_match(query.match or "")
        if match is None:
            # a small match, or not an expression of ours: resolve every match (exact)
            yield iter(matches.after(None))
            return
        with _walk(conn, query, texts=True) as walk:
            yield _hedged(walk, match, matches)
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
