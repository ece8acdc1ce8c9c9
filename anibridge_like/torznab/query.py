"""Torznab parameters → SQL, as plain ``sqlite3`` calls run on a reader's own thread
(:func:`anibridge_like.storage.database.run_sync`: one hop per request, whatever the
number of statements).

The statements of one request:

1. :func:`fetch_scope` — the libraries' enabled provider instances in scope: sites, readiness.
2. A title source (:mod:`anibridge_like.torznab.sources`): the candidate titles newest-first by
   each title's newest release (``titles.newest_seen`` / ``newest_episode``, kept exact by the
   triggers of migration 0007) — every live title of the allowed slices for RSS, the titles
   whose title, alias or usable canonical name matches for text (read newest first from the
   recency-ordered index of migration 0020), the titles the ids resolve to.
3. :class:`PageKeys` — one batch of titles' (episode, language) rows in feed order, filtered;
   :mod:`anibridge_like.torznab.feed` merges batches until no further title can reach the page.
4. :func:`fetch_page` — names, mappings and numbering for the page's rows only.

Feed order is ``first_seen DESC, episode_id, language``. No ``bm25`` ranking (33 ms over broad
prefixes), no ``LIKE '%…%'``.

Mapping rules: ids resolve only through confirmed/high series mappings (conflict never); episode
numbering is canonical where the episode mapping is confirmed/high (plus low for text searches),
otherwise the site's own numbering with the site title and no ids.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anibridge_like.libraries.model import Library
from anibridge_like.libraries.readiness import ready_sql
from anibridge_like.libraries.scope import serving_sql
from anibridge_like.plugins.provider import Language
from anibridge_like.torznab.naming import Hit

MAX_PAGED_OFFSET = 1000
"""Deepest ``offset`` served: Sonarr/Radarr page at most 30 pages or 1000 results
(``NewznabRequestGenerator``); a deeper page is empty, so no request walks more than
``MAX_PAGED_OFFSET + limit`` rows (a page's cost is bounded whatever the offset asked)."""

TRUSTED = ("confirmed", "high")
LOOSE = ("confirmed", "high", "low")

Key = tuple[str, int, str, int, int]
"""One feed row: ``(first_seen, episode_id, language, lib, pref)``."""
TitleBound = tuple[int, str | None, int | None]
"""``(title_id, newest_seen, newest_episode)``: no row of the title sorts before its bound
(``None``: unknown, never stops a walk)."""


@dataclass(frozen=True, slots=True)
class Scope:
    sites: dict[str, tuple[str, ...]]
    """Library slug → sites of its enabled provider instances."""
    ready: frozenset[str]
    """Library slugs that can answer the clients' Test and RSS sync with real releases: at least
    one instance whose first title listing completed and that has a release of the library's
    kind indexed (or whose detail stage completed, when the site really offers none)."""


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
    """What a page selects."""

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

    @property
    def by_id(self) -> bool:
        return any(x is not None for x in (self.tvdbid, self.imdbid, self.tmdbid))

    @property
    def window(self) -> int:
        """Rows of the result up to the end of the page."""
        return self.offset + self.limit

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The (site, title kind) slices the request may serve."""
        return sorted({(a.site, a.kind) for a in self.allowed})


class Sql:
    """Named-parameter builder."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def p(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def many(self, values: Sequence[Any]) -> str:
        return ", ".join(self.p(v) for v in values)


_SCOPE_SQL = f"""
SELECT l.slug AS library, pi.site AS site, {ready_sql("pi", "l")} AS ready
FROM libraries l
JOIN plugin_instances pi ON {serving_sql("pi", "l")}
WHERE l.slug IN ({{slugs}})
"""
"""Per library its sites and whether it is ready (the rule of :mod:`.libraries.readiness`)."""


def fetch_scope(conn: sqlite3.Connection, libraries: Sequence[Library]) -> Scope:
    if not libraries:
        return Scope({}, frozenset())
    sql = Sql()
    slugs = sql.many([lib.slug for lib in libraries])
    rows = conn.execute(_SCOPE_SQL.format(slugs=slugs), sql.params).fetchall()
    sites: dict[str, list[str]] = {lib.slug: [] for lib in libraries}
    ready: set[str] = set()
    for library, site, is_ready in rows:
        if site not in sites[library]:
            sites[library].append(site)
        if is_ready:
            ready.add(library)
    return Scope({slug: tuple(s) for slug, s in sites.items()}, frozenset(ready))


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


def years_sql(sql: Sql, years: tuple[int, int] | None, title: str) -> str:
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


def _allowed_cte(sql: Sql, allowed: Sequence[Allowed]) -> str:
    values = ", ".join(
        f"({sql.p(a.site)}, {sql.p(a.kind)}, {sql.p(a.language)}, {a.lib}, {a.pref})"
        for a in allowed
    )
    return f"allowed(site, kind, language, lib, pref) AS (VALUES {values})"


def pairs_sql(sql: Sql, pairs: Sequence[tuple[str, str]], title: str) -> str:
    values = ", ".join(f"({sql.p(site)}, {sql.p(kind)})" for site, kind in pairs)
    return f"({title}.site, {title}.kind) IN (VALUES {values})"


# ---- page keys and page rows --------------------------------------------------------------------
def _numbering_exprs(ok: str) -> tuple[str, str, str]:
    return (
        _canonical_or_site(ok, "em.tvdb_season", "e.season"),
        _canonical_or_site(ok, "em.tvdb_episode", "e.number"),
        _canonical_or_site(ok, "em.absolute", "e.absolute"),
    )


class PageKeys:
    """The feed rows of a batch of titles: one prepared statement per request, run per batch
    (the batch's title ids travel as one JSON parameter)."""

    def __init__(self, query: Query) -> None:
        sql = Sql()
        numbering = sql.many(query.numbering)
        em_ok = f"(em.status IN ({numbering}))"
        season, episode, absolute = _numbering_exprs(em_ok)
        # a series' film counts only where a usable mapping gives it a TVDB season (S00E101)
        where = [
            "t.id IN (SELECT value FROM json_each(:ids))",
            "t.gone = 0",
            "(e.season >= 0 OR t.kind = 'movie' OR EXISTS (SELECT 1 FROM episode_mappings em3"
            f" WHERE em3.episode_id = e.id AND em3.status IN ({numbering})"
            " AND em3.tvdb_season >= 0))",
        ]
        if query.by_id:
            where.append(f"(t.kind = 'movie' OR {em_ok})")
        if query.season is not None:
            where.append(f"{season} = {sql.p(query.season)}")
        if query.episode is not None:
            where.append(f"{episode} = {sql.p(query.episode)}")
        if query.absolute is not None:
            where.append(f"{absolute} = {sql.p(query.absolute)}")
        if query.years is not None:
            where.append(years_sql(sql, query.years, "t")[len(" AND ") :])
        needs_em = query.by_id or any(
            x is not None for x in (query.season, query.episode, query.absolute)
        )
        em_join = "LEFT JOIN episode_mappings em ON em.episode_id = e.id\n" if needs_em else ""
        self.text = (
            f"WITH {_allowed_cte(sql, query.allowed)}\n"
            "SELECT el.first_seen, el.episode_id, el.language, a.lib, a.pref\n"
            "FROM titles t CROSS JOIN allowed a ON a.site = t.site AND a.kind = t.kind\n"
            "CROSS JOIN episodes e ON e.title_id = t.id\n"
            "CROSS JOIN episode_languages el ON el.episode_id = e.id AND el.language = a.language\n"
            f"{em_join}"
            f"WHERE {' AND '.join(where)}\n"
            "ORDER BY el.first_seen DESC, el.episode_id, el.language\n"
            "LIMIT :window"
        )
        self.params = sql.params

    def fetch(self, conn: sqlite3.Connection, title_ids: Sequence[int], window: int) -> list[Key]:
        cursor = conn.cursor()
        cursor.row_factory = None
        params = {**self.params, "ids": json.dumps(list(title_ids)), "window": window}
        return cursor.execute(self.text, params).fetchall()


def _page_sql(numbering: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """Per episode of the page (ids as one JSON array): names, mappings, numbering."""
    sql = Sql()
    em_ok = f"(em.status IN ({sql.many(numbering)}))"
    sm_ok = "(sm.status IN ('confirmed', 'high'))"
    season, episode, absolute = _numbering_exprs(em_ok)
    named = f"(CASE WHEN t.kind = 'movie' THEN {sm_ok} ELSE {sm_ok} AND {em_ok} END)"
    text = (
        "SELECT e.id, t.site, t.slug, t.kind, t.title, t.year, e.season, e.number, "
        f"{named}, sm.canonical_title, sm.canonical_year, sm.tvdb_id, sm.imdb_id, sm.tmdb_id, "
        f"{season}, {episode}, {absolute}\n"
        "FROM json_each(:episodes) j CROSS JOIN episodes e ON e.id = j.value "
        "CROSS JOIN titles t ON t.id = e.title_id\n"
        "LEFT JOIN series_mappings sm ON sm.title_id = t.id\n"
        "LEFT JOIN episode_mappings em ON em.episode_id = e.id"
    )
    return text, sql.params


_LANGUAGES = {language.value: language for language in Language}


def fetch_page(
    conn: sqlite3.Connection, keys: Sequence[Key], numbering: tuple[str, ...]
) -> list[tuple[Hit, int]]:
    """The page's rows in the order of ``keys``, named and numbered, with their library index."""
    if not keys:
        return []
    text, params = _page_sql(numbering)
    params["episodes"] = json.dumps(sorted({k[1] for k in keys}))
    cursor = conn.cursor()
    cursor.row_factory = None
    episodes = {row[0]: row for row in cursor.execute(text, params)}
    return [(_hit(episodes[k[1]], _LANGUAGES[k[2]], k[0]), k[3]) for k in keys if k[1] in episodes]


def _hit(row: tuple[Any, ...], language: Language, first_seen: str) -> Hit:
    (_, site, slug, kind, title, year, season, number, named_ok, canonical_title,
     canonical_year, tvdb_id, imdb_id, tmdb_id, show_season, show_episode,
     absolute) = row  # fmt: skip
    named = bool(named_ok) and canonical_title is not None
    return Hit(
        site=site,
        slug=slug,
        kind="movie" if kind == "movie" else "series",
        name=canonical_title if named else title,
        year=canonical_year if named and canonical_year else year,
        season=season,
        number=number,
        show_season=show_season,
        show_episode=show_episode,
        absolute=absolute,
        language=language,
        first_seen=first_seen,
        tvdbid=tvdb_id if named else None,
        imdbid=imdb_id if named else None,
        tmdbid=tmdb_id if named else None,
    )
