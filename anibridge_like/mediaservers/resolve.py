"""Server items → canonical works of the index, **ids first, names second**.

A canonical work is the id the index's mappings give a provider title (``series_mappings`` with
status confirmed/high): ``tvdb:<id>`` when it has a TVDB id, else ``tmdb:<id>``, else
``imdb:<tt…>``. An item's own ids are looked up in that order (TVDB, TMDB, IMDb, AniList),
restricted to titles of the item's kind (a TMDB TV id and a TMDB movie id are different
namespaces). Without a matching id, the item's title is matched against the index's titles,
aliases and canonical names (full-text phrase, then an exact comparison of the normalised text,
the year within one when both are known); a name that leads to two different works is left
unresolved rather than guessed.

Episode numbers: a season/episode pair is taken as TVDB numbering (what Jellyfin, Plex and
Sonarr's folders use); an absolute number alone (anime files) is mapped through the index's
episode mappings of the work. Everything here runs on a reader connection's thread.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

FILM = (-1, 1)
"""The canonical 'episode' of a movie."""

WORK_SQL = (
    "CASE WHEN sm.tvdb_id IS NOT NULL THEN 'tvdb:' || sm.tvdb_id"
    " WHEN sm.tmdb_id IS NOT NULL THEN 'tmdb:' || sm.tmdb_id"
    " WHEN sm.imdb_id IS NOT NULL THEN 'imdb:' || sm.imdb_id END"
)
"""The work key of a ``series_mappings sm`` row (shared with the gap report)."""

GOOD = "('confirmed', 'high')"

_ID_COLUMNS = (
    ("tvdb", "tvdb_id"),
    ("tmdb", "tmdb_id"),
    ("imdb", "imdb_id"),
    ("anilist", "anilist_id"),
)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Resolution:
    work: str | None
    by: str | None  # 'id' | 'name' | None


UNRESOLVED = Resolution(None, None)


def normalise(text: str) -> str:
    """Case-folded words without accents, punctuation or a leading article."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    words = _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))
    if len(words) > 1 and words[0] in ("the", "der", "die", "das"):
        words = words[1:]
    return " ".join(words)


def resolve(
    conn: sqlite3.Connection,
    ids: Mapping[str, str],
    title: str,
    year: int | None,
    kind: str,
) -> Resolution:
    """The canonical work of one series or movie (``kind`` = title kind: series | movie)."""
    for name, column in _ID_COLUMNS:
        value = ids.get(name)
        if not value:
            continue
        param: str | int = value if name == "imdb" else int(value)
        row = conn.execute(
            f"SELECT {WORK_SQL} FROM series_mappings sm JOIN titles t ON t.id = sm.title_id"
            f" WHERE sm.{column} = ? AND sm.status IN {GOOD} AND t.kind = ?"
            f" AND ({WORK_SQL}) IS NOT NULL LIMIT 1",
            (param, kind),
        ).fetchone()
        if row is not None:
            return Resolution(str(row[0]), "id")
    return _by_name(conn, title, year, kind)


def _by_name(conn: sqlite3.Connection, title: str, year: int | None, kind: str) -> Resolution:
    wanted = normalise(title)
    if not wanted:
        return UNRESOLVED
    phrase = '"' + wanted.replace('"', "") + '"'
    rows = conn.execute(
        f"SELECT DISTINCT st.text, {WORK_SQL}, coalesce(sm.canonical_year, t.year)"
        " FROM title_search JOIN search_terms st ON st.id = title_search.rowid"
        " JOIN series_mappings sm ON sm.title_id = st.title_id"
        " JOIN titles t ON t.id = st.title_id"
        f" WHERE title_search MATCH ? AND sm.status IN {GOOD} AND t.kind = ? AND t.gone = 0"
        " LIMIT 200",
        (phrase, kind),
    ).fetchall()
    works = {
        str(work)
        for text, work, work_year in rows
        if work is not None
        and normalise(str(text)) == wanted
        and (year is None or work_year is None or abs(int(work_year) - year) <= 1)
    }
    return Resolution(works.pop(), "name") if len(works) == 1 else UNRESOLVED


def work_filter(work: str) -> tuple[str, str | int]:
    """SQL condition on ``series_mappings sm`` selecting the rows of ``work`` (index-friendly)."""
    ns, _, value = work.partition(":")
    if ns == "tvdb" and value.isdigit():
        return "sm.tvdb_id = ?", int(value)
    if ns == "tmdb" and value.isdigit():
        return "sm.tmdb_id = ? AND sm.tvdb_id IS NULL", int(value)
    if ns == "imdb" and value.startswith("tt"):
        return "sm.imdb_id = ? AND sm.tvdb_id IS NULL AND sm.tmdb_id IS NULL", value
    raise ValueError(f"not a work key: {work!r}")


def absolute_map(conn: sqlite3.Connection, work: str) -> dict[int, tuple[int, int]]:
    """Absolute number → (TVDB season, episode) for a series work, from the index's mappings."""
    where, param = work_filter(work)
    rows = conn.execute(
        "SELECT DISTINCT em.absolute, em.tvdb_season, em.tvdb_episode"
        " FROM series_mappings sm JOIN episode_mappings em ON em.title_id = sm.title_id"
        f" WHERE {where} AND sm.status IN {GOOD} AND em.status IN {GOOD}"
        " AND em.absolute IS NOT NULL AND em.tvdb_season IS NOT NULL",
        (param,),
    ).fetchall()
    return {int(a): (int(s), int(e)) for a, s, e in rows}
