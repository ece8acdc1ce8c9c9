"""One page of a feed: visit titles newest-first and stop as soon as no further title can reach it.

Every title carries an upper bound of its releases in feed order (``titles.newest_seen`` /
``newest_episode``, migration 0007). The title sources hand titles over in bound order; their
rows are read in batches (2 titles, then twice as many each time, at most 256, and no more than
the window's rest likely needs at the rows per title seen so far) and merged into
the best ``offset + limit`` rows so far. Once that window is full and the next title's bound
sorts after its last row, no later title can enter it: the walk stops. A page therefore costs
the rows of the few titles that reach it — not a walk over every release of every site (a site
whose whole bootstrap shares one timestamp used to put 30,000 rows in front of a small
library's page), nor the rows of every title a broad text match selects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from math import ceil

from anibridge_like.torznab.naming import Hit
from anibridge_like.torznab.query import (
    MAX_PAGED_OFFSET,
    Key,
    PageKeys,
    Query,
    TitleBound,
    fetch_page,
)

FIRST_BATCH = 2
MAX_BATCH = 256


@dataclass(frozen=True, slots=True)
class Page:
    hits: list[tuple[Hit, int]]
    """The page's rows with their library index, newest first (language preference within an
    episode)."""
    found: bool
    """Whether the result has any row at all (an empty page past its end still has)."""


def _sorts_after(seen: str | None, episode: int | None, key: Key) -> bool:
    """Whether every row of a title whose bound is ``(seen, episode)`` sorts after ``key``."""
    if seen is None or episode is None:
        return False
    return seen < key[0] or (seen == key[0] and episode > key[1])


def _feed_order(rows: list[Key]) -> None:
    """Sort in place: first_seen DESC, episode_id, language (list.sort is stable)."""
    rows.sort(key=lambda k: (k[1], k[2]))
    rows.sort(key=lambda k: k[0], reverse=True)


def window_keys(conn: sqlite3.Connection, query: Query, titles: Iterable[TitleBound]) -> list[Key]:
    """The result's first ``offset + limit`` rows, in feed order."""
    window = query.window
    if not query.allowed or window <= 0:
        return []
    keys = PageKeys(query)
    best: list[Key] = []
    batch: list[int] = []
    size = FIRST_BATCH
    read_titles = read_rows = 0

    def flush() -> None:
        nonlocal best, size, read_titles, read_rows
        rows = keys.fetch(conn, batch, window)
        read_titles += len(batch)
        read_rows += len(rows)
        best = best + rows
        _feed_order(best)
        del best[window:]
        batch.clear()
        size = min(size * 2, MAX_BATCH)
        if len(best) < window and read_rows:
            # no more titles than the window's rest likely needs: every title taken is one a
            # text search has to find and check (sources.py), and no title can stop the walk
            # before the window is full
            size = min(size, max(FIRST_BATCH, ceil((window - len(best)) * read_titles / read_rows)))

    for title_id, seen, episode in titles:
        if len(best) >= window and _sorts_after(seen, episode, best[window - 1]):
            break
        batch.append(title_id)
        if len(batch) >= size:
            flush()
    if batch:
        flush()
    return best


def page(conn: sqlite3.Connection, query: Query, titles: Iterable[TitleBound]) -> Page:
    if query.offset > MAX_PAGED_OFFSET:
        # beyond what clients page: empty, without reading anything ("found" so that no
        # other text attempt takes the request over)
        return Page([], True)
    best = window_keys(conn, query, titles)
    chosen = best[query.offset : query.offset + query.limit]
    # within one episode, the library's language preference decides (pref is key[4])
    chosen.sort(key=lambda k: (k[1], k[4]))
    chosen.sort(key=lambda k: k[0], reverse=True)
    return Page(fetch_page(conn, chosen, query.numbering), bool(best))


def _by_preference(keys: list[Key]) -> list[Key]:
    keys.sort(key=lambda k: (k[1], k[4]))
    keys.sort(key=lambda k: k[0], reverse=True)
    return keys


def wanted_first_page(
    conn: sqlite3.Connection,
    query: Query,
    titles: Iterable[TitleBound],
    wanted: Iterable[TitleBound],
    since: str,
) -> Page:
    """The no-query feed with the releases of ``wanted`` titles (bounds, newest first) newer
    than ``since`` first, then every other release in feed order; each release once."""
    first = [k for k in window_keys(conn, query, wanted) if k[0] >= since]
    if not first:
        return page(conn, query, titles)
    taken = {(k[1], k[2]) for k in first}
    # the plain window minus the promoted rows still fills the page: at most len(first) of its
    # rows are promoted ones, and the page needs only window - len(first) others
    rest = [k for k in window_keys(conn, query, titles) if (k[1], k[2]) not in taken]
    combined = first + rest
    chosen = combined[query.offset : query.offset + query.limit]
    head = _by_preference([k for k in chosen if (k[1], k[2]) in taken])
    tail = _by_preference([k for k in chosen if (k[1], k[2]) not in taken])
    return Page(fetch_page(conn, head + tail, query.numbering), bool(combined))
