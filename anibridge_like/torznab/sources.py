"""Title sources: the titles a page may draw from, in bound order (newest release first).

Each source is a context manager yielding ``(title_id, newest_seen, newest_episode)`` tuples
(:data:`~anibridge_like.torznab.query.TitleBound`) sorted by ``newest_seen DESC,
newest_episode``; :mod:`anibridge_like.torznab.feed` reads only as many as the page needs.
Cursors close on exit, on the connection's thread.

- :func:`rss_titles`: every live title of the allowed (site, kind) slices — one lazy walk of the
  ``titles_newest`` index per slice, merged.
- :func:`text_titles`: the titles the FTS5 match selects, exactly: candidates read newest
  first from the recency-ordered index ``title_recent`` (migration 0020) and checked one by
  one, as many as the page takes. A page costs its titles plus the rejected candidates (texts
  of one title that match only together, canonical names of unusable mappings, years of
  untrusted ones), not the number of matches nor the catalog's size.
- :func:`id_titles`: the titles the request's ids resolve to (no bound: all of them are read).
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from anibridge_like.torznab import recent
from anibridge_like.torznab.query import LOOSE, TRUSTED, Query, Sql, TitleBound, pairs_sql
from anibridge_like.torznab.textmatch import Match, Verdict, compile_match

_NEWEST_OF_SLICE = (
    "SELECT id, newest_seen, newest_episode FROM titles INDEXED BY titles_newest"
    " WHERE site = ? AND kind = ? AND gone = 0 AND newest_seen IS NOT NULL"
    " ORDER BY newest_seen DESC, newest_episode"
)
"""One slice newest-first, from the index alone."""


def _rows(cursor: sqlite3.Cursor) -> Iterator[Any]:
    """A walk's rows, read in growing chunks: most pages need only its first few."""
    size = 4
    while rows := cursor.fetchmany(size):
        yield from rows
        size = min(size * 2, 256)


@contextmanager
def _walk(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[Any]]:
    """The allowed slices merged newest-first."""
    cursors: list[sqlite3.Cursor] = []
    try:
        for site, kind in query.pairs:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursors.append(cursor.execute(_NEWEST_OF_SLICE, (site, kind)))
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


_CANDIDATES = "SELECT rowid FROM title_recent WHERE title_recent MATCH ? ORDER BY rowid DESC"
"""The candidates newest second first (FTS5 reads them lazily in either rowid order)."""
_TITLES = (
    "SELECT t.id, t.site, t.kind, t.gone, t.newest_seen, t.newest_episode, t.search_text,"
    " t.year, sm.status, sm.canonical_year"
    " FROM json_each(?) j CROSS JOIN titles t ON t.id = j.value"
    " LEFT JOIN series_mappings sm ON sm.title_id = t.id"
)
"""A chunk of candidates' titles by primary key, with what the exact check needs."""
FIRST_CHUNK = 8
"""Candidates read at first (doubling up to :data:`MAX_CHUNK`): most pages need few titles."""
MAX_CHUNK = 256
USABLE = frozenset(LOOSE)
"""Mapping statuses whose canonical name is searchable (a title matches by its title, an alias,
or its canonical name where the mapping is confirmed, high or low)."""
YEAR_TRUSTED = frozenset(TRUSTED)
"""Mapping statuses whose canonical year counts (the rule of
:func:`~anibridge_like.torznab.query.years_sql`)."""


def _order(title: TitleBound) -> tuple[str, int]:
    """Sort key of the bound order, for ``reverse=True``: newest_seen descending, then
    newest_episode ascending (a total order: newest_episode is an episode of the title)."""
    return (title[1] or "", -(title[2] or 0))


class _Exact:
    """The exact verdict on a candidate title: the rules the full evaluation applies."""

    def __init__(self, match: Match, query: Query) -> None:
        self.match, self.pairs, self.years = match, frozenset(query.pairs), query.years

    def __call__(self, row: tuple[Any, ...]) -> bool:
        _, site, kind, gone, seen, _, text, year, status, canonical_year = row
        if gone != 0 or seen is None or (site, kind) not in self.pairs:
            return False
        verdict = self.match.title(text or "")
        if verdict is Verdict.CANONICAL_ONLY:
            verdict = Verdict(status in USABLE)
        if verdict and self.years is not None:
            low, high = self.years
            return (year is not None and low <= year <= high) or (
                status in YEAR_TRUSTED and canonical_year is not None
                and low <= canonical_year <= high
            )  # fmt: skip
        return bool(verdict)


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[int]]:
    size = FIRST_CHUNK
    while rows := cursor.fetchmany(size):
        yield [row[0] for row in rows]
        size = min(size * 2, MAX_CHUNK)


def _in_feed_order(
    conn: sqlite3.Connection, candidates: sqlite3.Cursor, exact: _Exact
) -> Iterator[TitleBound]:
    """The candidates that pass ``exact``, in bound order: the rowid order is the feed's to the
    second, so each second's titles are sorted before they are handed over."""
    lookup = conn.cursor()
    lookup.row_factory = None
    current: int | None = None
    held: list[TitleBound] = []
    try:
        for chunk in _chunks(candidates):
            ids = [recent.title_id(rowid) for rowid in chunk]
            rows = {row[0]: row for row in lookup.execute(_TITLES, (json.dumps(ids),))}
            for rowid, title_id in zip(chunk, ids, strict=True):
                if recent.second(rowid) != current:
                    if len(held) > 1:
                        held.sort(key=_order, reverse=True)
                    yield from held
                    held = []
                    current = recent.second(rowid)
                row = rows.get(title_id)
                if row is not None and exact(row):
                    held.append((title_id, row[4], row[5]))
        held.sort(key=_order, reverse=True)
        yield from held
    finally:
        lookup.close()


@contextmanager
def text_titles(conn: sqlite3.Connection, query: Query) -> Iterator[Iterator[TitleBound]]:
    """The live titles of the allowed slices the full-text match selects, newest first, exact.

    The candidates come from ``title_recent`` (migration 0020, :mod:`~anibridge_like.torznab.
    recent`) newest second first, a superset of the match restricted to the request's slices
    (and years); each is looked up by primary key and checked exactly
    (:mod:`~anibridge_like.torznab.textmatch` on its texts, the canonical name only where the
    mapping is usable, the year rule). Only as many are read as the page takes: a page costs
    its titles plus the candidates the exact check rejects, whatever the catalog's size.

    A superset is fine downstream too: the page's rows are filtered again (years, episodes) by
    :class:`~anibridge_like.torznab.query.PageKeys`."""
    match = compile_match(query.match or "")
    if match is None:
        raise ValueError(f"not a search expression of ours: {query.match!r}")
    if not query.pairs:
        yield iter(())
        return
    cursor = conn.cursor()
    cursor.row_factory = None
    try:
        cursor.execute(_CANDIDATES, (recent.expression(match, query.pairs, query.years),))
        yield _in_feed_order(conn, cursor, _Exact(match, query))
    finally:
        cursor.close()


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
