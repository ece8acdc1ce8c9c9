"""Wanted first: which catalog titles are wanted, for the feed and the catalog stages.

A title is wanted when a live list entry (not removed; ``wanted`` or ``watching``) of a library is
linked to it (:mod:`anibridge_like.sync.store`). Plain ``sqlite3`` on a reader's thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Sequence

WANTED_STATUSES = ("wanted", "watching")

_BY_LIBRARY = (
    "SELECT t.id, t.newest_seen, t.newest_episode FROM titles t WHERE t.id IN ("
    " SELECT l.title_id FROM wanted_links l JOIN wanted_items w ON w.id = l.wanted_id"
    " JOIN libraries lib ON lib.id = w.library_id"
    " WHERE w.removed_at IS NULL AND w.list_status IN ('wanted', 'watching')"
    " AND lib.slug IN (SELECT value FROM json_each(?)))"
    " AND t.gone = 0 AND t.newest_seen >= ? ORDER BY t.newest_seen DESC, t.newest_episode"
)
WANTED_TITLE = (
    "EXISTS (SELECT 1 FROM wanted_links wl JOIN wanted_items wi ON wi.id = wl.wanted_id"
    " WHERE wl.title_id = {title} AND wi.removed_at IS NULL"
    " AND wi.list_status IN ('wanted', 'watching'))"
)
"""SQL: the title ``{title}`` (an id expression) is wanted in some library."""


def wanted_titles(
    conn: sqlite3.Connection, library_slugs: Sequence[str], since: str
) -> Generator[tuple[int, str | None, int | None], None, None]:
    """Titles wanted in any of the libraries with a release newer than ``since``, as feed
    bounds ``(title_id, newest_seen, newest_episode)`` newest first (a feed stops early)."""
    if not library_slugs:
        return
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(_BY_LIBRARY, (json.dumps(list(library_slugs)), since))
    try:
        while rows := cursor.fetchmany(16):  # a feed reads only the first few
            yield from ((int(r[0]), r[1], r[2]) for r in rows)
    finally:
        cursor.close()
