"""Torznab parameters → SQL on one read-only connection.

A request costs two reader round-trips (three for an id search that falls back to ``q``):

1. :func:`fetch_scope` — the libraries' provider instances (enabled, in scope) with their sites
   and readiness, plus, for a text search, how many titles the full-text match selects.
2. :func:`fetch_hits` — one statement returning the page of (episode, language) rows, newest
   first, with the mappings that name and number them.

Plan choice: the feed is ordered by ``episode_languages.first_seen``. A broad candidate set (RSS,
or a text match over many titles) walks the ``episode_languages_newest`` index and stops after
``offset + limit`` rows; a narrow one (an id, a specific title) starts from the titles and sorts
their few rows. No ``bm25`` ranking (33 ms over broad prefixes), no ``LIKE '%…%'``.

Mapping rules: ids resolve only through confirmed/high series mappings (conflict never); episode
numbering is canonical where the episode mapping is confirmed/high (plus low for text searches),
otherwise the site's own numbering with the site title and no ids.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from anibridge_like.plugins.provider import Language
from anibridge_like.torznab.access import Library
from anibridge_like.torznab.naming import Hit

Drive = Literal["newest", "titles"]
TRUSTED = ("confirmed", "high")
LOOSE = ("confirmed", "high", "low")
ROWS_PER_TITLE = {"series": 40.0, "movie": 2.0}
"""Estimated (episode, language) rows per title, by title kind (for the plan choice only)."""
STATS_TTL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class TitleStats:
    """Live titles per (site, kind): the planner's notion of how large a slice is."""

    counts: dict[tuple[str, str], int]
    fetched_at: float

    def rows(self, pairs: set[tuple[str, str]] | None = None) -> float:
        return sum(
            n * ROWS_PER_TITLE.get(kind, 40.0)
            for (site, kind), n in self.counts.items()
            if pairs is None or (site, kind) in pairs
        )


_stats: dict[str, TitleStats] = {}


async def title_stats(conn: aiosqlite.Connection, key: str) -> TitleStats:
    """Per-(site, kind) live title counts, cached per database for a minute (estimates)."""
    now = time.monotonic()
    cached = _stats.get(key)
    if cached is not None and now - cached.fetched_at < STATS_TTL_SECONDS:
        return cached
    rows = await conn.execute_fetchall(
        "SELECT site, kind, count(*) AS n FROM titles INDEXED BY titles_torznab_scope"
        " WHERE gone = 0 GROUP BY site, kind"
    )
    stats = TitleStats({(r["site"], r["kind"]): int(r["n"]) for r in rows}, now)
    _stats[key] = stats
    return stats


def starts_from_titles(candidate_rows: float, window: int, total_rows: float) -> bool:
    """Plan choice. Walking the newest-releases index until ``window`` rows of the candidates
    turn up reads about ``window * total / candidates`` rows; starting from the candidate titles
    reads and sorts all ``candidates`` rows. Both cost about a microsecond a row."""
    return candidate_rows * candidate_rows <= window * max(total_rows, 1.0)


@dataclass(frozen=True, slots=True)
class Scope:
    sites: dict[str, tuple[str, ...]]
    """Library slug → sites of its enabled provider instances."""
    ready: frozenset[str]
    """Library slugs with at least one instance whose first title listing completed."""
    candidates: int | None = None
    """Titles the text match selects (counted up to ``count_limit``), when asked."""


@dataclass(frozen=True, slots=True)
class Allowed:
    """One (site, title kind, language) the request may serve, from library ``lib``."""

    site: str
    kind: str
    language: str
    lib: int
    pref: int


@dataclass(slots=True)
class Query:
    """What :func:`fetch_hits` selects."""

    allowed: list[Allowed]
    limit: int
    offset: int = 0
    match: str | None = None
    """FTS5 expression over titles, aliases and canonical names."""
    tvdbid: int | None = None
    imdbid: str | None = None
    tmdbid: int | None = None
    season: int | None = None
    episode: int | None = None
    absolute: int | None = None
    years: tuple[int, int] | None = None
    numbering: tuple[str, ...] = TRUSTED
    """Episode-mapping statuses whose numbering is used (id searches and RSS: trusted only)."""
    drive: Drive = "newest"

    @property
    def by_id(self) -> bool:
        return any(x is not None for x in (self.tvdbid, self.imdbid, self.tmdbid))


class _Sql:
    """Named-parameter builder."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def p(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def many(self, values: Sequence[Any]) -> str:
        return ", ".join(self.p(v) for v in values)


_SCOPE_SQL = """
SELECT l.slug AS library, pi.site AS site,
       EXISTS (SELECT 1 FROM stage_state ss
               WHERE ss.instance = pi.name AND ss.stage = 'title'
                 AND ss.ready_at IS NOT NULL) AS ready{candidates}
FROM libraries l
JOIN plugin_instances pi
  ON pi.kind = 'provider' AND pi.enabled = 1 AND pi.site IS NOT NULL
 AND (pi.all_libraries = 1 OR EXISTS (SELECT 1 FROM plugin_instance_libraries pil
                                      WHERE pil.instance_id = pi.id AND pil.library_id = l.id))
WHERE l.slug IN ({slugs})
"""

_FTS_TITLES = """
SELECT st.title_id AS title_id
FROM title_search
JOIN search_terms st ON st.id = title_search.rowid
LEFT JOIN series_mappings fsm ON fsm.title_id = st.title_id
WHERE title_search MATCH {match}
  AND (st.source != 'canonical' OR fsm.status IN ('confirmed', 'high', 'low'))
"""


async def fetch_scope(
    conn: aiosqlite.Connection,
    libraries: Sequence[Library],
    match: str | None = None,
    count_limit: int = 1000,
    years: tuple[int, int] | None = None,
) -> Scope:
    if not libraries:
        return Scope({}, frozenset())
    sql = _Sql()
    slugs = sql.many([lib.slug for lib in libraries])
    candidates = ""
    if match is not None:
        fts = _FTS_TITLES.format(match=sql.p(match))
        candidates = (
            f",\n (SELECT count(*) FROM (SELECT f.title_id FROM ({fts}) f"
            f" JOIN titles ct ON ct.id = f.title_id"
            f" WHERE ct.gone = 0 AND ct.site IN (SELECT pi2.site FROM plugin_instances pi2"
            f" WHERE pi2.kind = 'provider' AND pi2.enabled = 1){_years_sql(sql, years, 'ct')}"
            f" LIMIT {int(count_limit)})) AS candidates"
        )
    rows = await conn.execute_fetchall(
        _SCOPE_SQL.format(candidates=candidates, slugs=slugs), sql.params
    )
    sites: dict[str, list[str]] = {lib.slug: [] for lib in libraries}
    ready: set[str] = set()
    count: int | None = None
    for row in rows:
        library_sites = sites[row["library"]]
        if row["site"] not in library_sites:
            library_sites.append(row["site"])
        if row["ready"]:
            ready.add(row["library"])
        if match is not None:
            count = int(row["candidates"])
    return Scope(
        {slug: tuple(s) for slug, s in sites.items()},
        frozenset(ready),
        count if match is not None else None,
    )


def allowed_for(libraries: Sequence[Library], scope: Scope, kinds: set[str]) -> list[Allowed]:
    """(site, kind, language) combinations to serve, each from the first library offering it."""
    out: list[Allowed] = []
    seen: set[tuple[str, str, str]] = set()
    for index, lib in enumerate(libraries):
        if lib.slug not in scope.ready or lib.title_kind not in kinds:
            continue
        for site in scope.sites.get(lib.slug, ()):
            for pref, language in enumerate(lib.languages):
                key = (site, lib.title_kind, language.value)
                if key not in seen:
                    seen.add(key)
                    out.append(Allowed(site, lib.title_kind, language.value, index, pref))
    return out


def _years_sql(sql: _Sql, years: tuple[int, int] | None, title: str) -> str:
    """`` AND <title's site year or trusted canonical year within years>`` (or nothing)."""
    if years is None:
        return ""
    low, high = sql.p(years[0]), sql.p(years[1])
    return (
        f" AND ({title}.year BETWEEN {low} AND {high} OR EXISTS (SELECT 1 FROM series_mappings"
        f" ysm WHERE ysm.title_id = {title}.id AND ysm.status IN ('confirmed', 'high')"
        f" AND ysm.canonical_year BETWEEN {low} AND {high}))"
    )


def _canonical_or_site(ok: str, canonical: str, site: str) -> str:
    return f"(CASE WHEN {ok} AND {canonical} IS NOT NULL THEN {canonical} ELSE {site} END)"


def _hits_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """Two steps in one statement: ``page`` picks the page's (episode, language) keys in feed
    order touching only what filters need; the outer select joins names and mappings for those
    ``limit`` rows only."""
    sql = _Sql()
    values = ", ".join(
        f"({sql.p(a.site)}, {sql.p(a.kind)}, {sql.p(a.language)}, {a.lib}, {a.pref})"
        for a in query.allowed
    )
    ctes = [f"allowed(site, kind, language, lib, pref) AS (VALUES {values})"]
    numbering = sql.many(query.numbering)
    em_ok = f"(em.status IN ({numbering}))"
    sm_ok = "(sm.status IN ('confirmed', 'high'))"
    season = _canonical_or_site(em_ok, "em.tvdb_season", "e.season")
    episode = _canonical_or_site(em_ok, "em.tvdb_episode", "e.number")
    absolute = _canonical_or_site(em_ok, "em.absolute", "e.absolute")
    # a series' film counts only where a usable mapping gives it a TVDB season (e.g. S00E101)
    where = [
        "t.gone = 0",
        "(e.season >= 0 OR t.kind = 'movie' OR EXISTS (SELECT 1 FROM episode_mappings em3"
        f" WHERE em3.episode_id = e.id AND em3.status IN ({numbering})"
        " AND em3.tvdb_season >= 0))",
    ]
    needs_em = query.by_id or any(
        x is not None for x in (query.season, query.episode, query.absolute)
    )
    subset: str | None = None
    if query.by_id:
        ctes.extend(_id_ctes(query, sql))
        subset = "SELECT title_id FROM chosen"
        where.append(f"(t.kind = 'movie' OR {em_ok})")
    elif query.match is not None:
        ctes.append(f"fts AS ({_FTS_TITLES.format(match=sql.p(query.match))})")
        subset = "SELECT title_id FROM fts"
    if query.season is not None:
        where.append(f"{season} = {sql.p(query.season)}")
    if query.episode is not None:
        where.append(f"{episode} = {sql.p(query.episode)}")
    if query.absolute is not None:
        where.append(f"{absolute} = {sql.p(query.absolute)}")
    if query.years is not None:
        where.append(_years_sql(sql, query.years, "t")[len(" AND ") :])
    if query.drive == "titles":
        source = (
            "titles t CROSS JOIN episodes e ON e.title_id = t.id "
            "CROSS JOIN episode_languages el ON el.episode_id = e.id"
        )
        if subset is not None:
            where.append(f"t.id IN ({subset})")
        else:
            pairs = sorted({(a.site, a.kind) for a in query.allowed})
            where.append(
                "(t.site, t.kind) IN (VALUES "
                + ", ".join(f"({sql.p(site)}, {sql.p(kind)})" for site, kind in pairs)
                + ")"
            )
    else:
        source = (
            "episode_languages el INDEXED BY episode_languages_newest "
            "CROSS JOIN episodes e ON e.id = el.episode_id "
            "CROSS JOIN titles t ON t.id = e.title_id"
        )
        if subset is not None:
            # The el-dependent term keeps SQLite from building a Bloom filter over every
            # episode (a full scan) for a loop that stops after offset + limit matches.
            where.append(f"(e.title_id + 0 * el.episode_id) IN ({subset})")
    em_join = "LEFT JOIN episode_mappings em ON em.episode_id = e.id\n" if needs_em else ""
    ctes.append(
        "page AS (SELECT el.episode_id AS episode_id, el.language AS language, "
        "el.first_seen AS first_seen, e.title_id AS title_id, a.lib AS lib, a.pref AS pref\n"
        f"FROM {source}\n"
        "CROSS JOIN allowed a ON a.site = t.site AND a.kind = t.kind AND a.language = el.language\n"
        f"{em_join}"
        f"WHERE {' AND '.join(where)}\n"
        "ORDER BY el.first_seen DESC, el.episode_id, el.language\n"
        f"LIMIT {sql.p(query.limit)} OFFSET {sql.p(query.offset)})"
    )
    named = f"(CASE WHEN t.kind = 'movie' THEN {sm_ok} ELSE {sm_ok} AND {em_ok} END)"
    text = (
        f"WITH {', '.join(ctes)}\n"
        "SELECT t.site, t.slug, t.kind, t.title, t.year, e.season, e.number, "
        "p.language, p.first_seen, p.lib, "
        f"{named} AS named, sm.canonical_title, sm.canonical_year, "
        f"sm.tvdb_id, sm.imdb_id, sm.tmdb_id, {season} AS show_season, "
        f"{episode} AS show_episode, {absolute} AS show_absolute\n"
        "FROM page p CROSS JOIN episodes e ON e.id = p.episode_id "
        "CROSS JOIN titles t ON t.id = p.title_id\n"
        "LEFT JOIN series_mappings sm ON sm.title_id = t.id\n"
        "LEFT JOIN episode_mappings em ON em.episode_id = e.id\n"
        "ORDER BY p.first_seen DESC, p.episode_id, p.pref"
    )
    return text, sql.params


def _id_ctes(query: Query, sql: _Sql) -> list[str]:
    """Titles the ids identify: the highest-priority id (tvdb > imdb > tmdb) that resolves
    through a confirmed/high mapping within the allowed sites wins."""
    ids = [(1, "tvdb_id", query.tvdbid), (2, "imdb_id", query.imdbid), (3, "tmdb_id", query.tmdbid)]
    present = [(prio, col, sql.p(v)) for prio, col, v in ids if v is not None]
    prio = " ".join(f"WHEN sm2.{col} = {ph} THEN {n}" for n, col, ph in present)
    return [
        "matched AS (SELECT sm2.title_id AS title_id, "
        f"CASE {prio} END AS prio FROM series_mappings sm2 "
        "JOIN titles t2 ON t2.id = sm2.title_id "
        f"WHERE ({' OR '.join(f'sm2.{col} = {ph}' for _, col, ph in present)}) "
        "AND sm2.status IN ('confirmed', 'high') AND t2.gone = 0 "
        "AND EXISTS (SELECT 1 FROM allowed a2 WHERE a2.site = t2.site AND a2.kind = t2.kind))",
        "chosen AS (SELECT title_id FROM matched WHERE prio = (SELECT min(prio) FROM matched))",
    ]


async def fetch_hits(conn: aiosqlite.Connection, query: Query) -> list[tuple[Hit, int]]:
    if not query.allowed or query.limit <= 0:
        return []
    text, params = _hits_sql(query)
    rows = await conn.execute_fetchall(text, params)
    return [(_hit(row), int(row["lib"])) for row in rows]


def _hit(row: sqlite3.Row) -> Hit:
    named = bool(row["named"]) and row["canonical_title"] is not None
    movie = row["kind"] == "movie"
    year = row["canonical_year"] if named and row["canonical_year"] else row["year"]
    return Hit(
        site=row["site"],
        slug=row["slug"],
        kind="movie" if movie else "series",
        name=row["canonical_title"] if named else row["title"],
        year=year,
        season=row["season"],
        number=row["number"],
        show_season=row["show_season"],
        show_episode=row["show_episode"],
        absolute=row["show_absolute"],
        language=Language(row["language"]),
        first_seen=row["first_seen"],
        tvdbid=row["tvdb_id"] if named else None,
        imdbid=row["imdb_id"] if named else None,
        tmdbid=row["tmdb_id"] if named else None,
    )
