"""The gap report: per owned work of a library, the canonical episodes the index knows (from the
library's provider titles), the ones the user owns, and for the missing ones which of the
library's languages the index has — with the Torznab search that would fetch them.

"owned 1–20; German Dub available 21–28; German Sub available 21–30"

Regular episodes only (season ≥ 1); a movie is one entry. Anime libraries number by absolute
episode when every known episode has one, other libraries by season (``S1 1–12, S2 1–3``).
Everything is read in one function on a reader connection's thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from anibridge_like.libraries.scope import scope_sql
from anibridge_like.mediaservers.resolve import FILM, GOOD, work_filter
from anibridge_like.plugins.provider import Language

MAX_LIMIT = 500


OWNED = (
    "o.library_id = ? AND o.state = 'owned' AND EXISTS (SELECT 1 FROM plugin_instances p"
    " WHERE p.id = o.instance_id AND p.enabled = 1 AND json_extract(p.config, ?) IS NOT NULL)"
)
"""Owned rows of a library from instances that are enabled and still bind it (a binding removed
from the seed, or a disabled server, no longer counts)."""


def _binding_path(slug: str) -> str:
    return f'$.libraries."{slug}"'


class UnknownLibraryError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class _Episode:
    season: int
    episode: int
    absolute: int | None


def _sites(conn: sqlite3.Connection, library_id: int) -> list[str]:
    """The sites of the enabled provider instances whose scope covers the library."""
    rows = conn.execute(
        "SELECT DISTINCT p.site FROM plugin_instances p WHERE p.kind = 'provider'"
        f" AND p.enabled = 1 AND p.site IS NOT NULL AND {scope_sql('p', '?')} ORDER BY p.site",
        (library_id,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def gap_report(
    conn: sqlite3.Connection, slug: str, work: str | None, offset: int, limit: int
) -> dict[str, Any]:
    """The report for library ``slug`` (one work with ``work``); raises UnknownLibraryError or
    ValueError (a malformed work key)."""
    lib = conn.execute(
        "SELECT id, kind, languages FROM libraries WHERE slug = ?", (slug,)
    ).fetchone()
    if lib is None:
        raise UnknownLibraryError(slug)
    library_id, kind = int(lib[0]), str(lib[1])
    languages = [Language(x) for x in json.loads(lib[2])]
    if work is not None:
        work_filter(work)  # validates
        works = [work]
        total = 1
    else:
        total = conn.execute(
            f"SELECT count(DISTINCT work) FROM media_ownership o WHERE {OWNED}",
            (library_id, _binding_path(slug)),
        ).fetchone()[0]
        works = [
            str(r[0])
            for r in conn.execute(
                f"SELECT DISTINCT work FROM media_ownership o WHERE {OWNED}"
                " ORDER BY work LIMIT ? OFFSET ?",
                (library_id, _binding_path(slug), limit, offset),
            )
        ]
    sites = _sites(conn, library_id)
    return {
        "library": slug,
        "languages": [{"code": str(x), "label": x.label} for x in languages],
        "total": total,
        "offset": offset,
        "limit": limit,
        "works": [_work(conn, slug, kind, library_id, sites, languages, w) for w in works],
    }


def _work(
    conn: sqlite3.Connection,
    slug: str,
    library_kind: str,
    library_id: int,
    sites: list[str],
    languages: list[Language],
    work: str,
) -> dict[str, Any]:
    where, param = work_filter(work)
    site_list = json.dumps(sites)
    head = conn.execute(
        "SELECT sm.canonical_title, sm.canonical_year, sm.tvdb_id, sm.tmdb_id, sm.imdb_id, t.kind"
        " FROM series_mappings sm JOIN titles t ON t.id = sm.title_id"
        f" WHERE {where} AND sm.status IN {GOOD} ORDER BY t.gone, sm.title_id LIMIT 1",
        (param,),
    ).fetchone()
    title_kind = str(head[5]) if head else ("movie" if library_kind == "movies" else "series")
    known: dict[tuple[int, int], _Episode] = {}
    langs: dict[tuple[int, int], set[str]] = {}
    if title_kind == "movie":
        rows: Iterable[Any] = conn.execute(
            f"SELECT {FILM[0]}, {FILM[1]}, NULL, el.language FROM series_mappings sm"
            " JOIN titles t ON t.id = sm.title_id AND t.gone = 0 AND t.kind = 'movie'"
            " AND t.site IN (SELECT value FROM json_each(?))"
            " JOIN episodes e ON e.title_id = t.id"
            " LEFT JOIN episode_languages el ON el.episode_id = e.id"
            f" WHERE {where} AND sm.status IN {GOOD}",
            (site_list, param),
        )
    else:
        rows = conn.execute(
            "SELECT em.tvdb_season, em.tvdb_episode, em.absolute, el.language"
            " FROM series_mappings sm"
            " JOIN titles t ON t.id = sm.title_id AND t.gone = 0"
            " AND t.site IN (SELECT value FROM json_each(?))"
            " JOIN episode_mappings em ON em.title_id = sm.title_id"
            f" AND em.status IN {GOOD} AND em.tvdb_season >= 1"
            " LEFT JOIN episode_languages el ON el.episode_id = em.episode_id"
            f" WHERE {where} AND sm.status IN {GOOD}",
            (site_list, param),
        )
    for season, episode, absolute, language in rows:
        key = (int(season), int(episode))
        prev = known.get(key)
        if prev is None or (prev.absolute is None and absolute is not None):
            known[key] = _Episode(key[0], key[1], absolute)
        if language is not None:
            langs.setdefault(key, set()).add(str(language))
    owned = {
        (int(s), int(e))
        for s, e in conn.execute(
            f"SELECT DISTINCT season, episode FROM media_ownership o WHERE {OWNED} AND o.work = ?",
            (library_id, _binding_path(slug), work),
        )
    }
    missing = sorted(set(known) - owned)
    use_absolute = (
        library_kind == "anime"
        and bool(known)
        and all(e.absolute is not None for e in known.values())
    )

    def ranges(keys: Iterable[tuple[int, int]]) -> str:
        return _ranges(
            [known.get(k, _Episode(k[0], k[1], None)) for k in sorted(keys)], use_absolute
        )

    available = []
    parts = (
        [f"owned {ranges(owned) or 'nothing'}"]
        if title_kind != "movie"
        else ["owned" if owned else "not owned"]
    )
    for lang in languages:
        have = [k for k in missing if str(lang) in langs.get(k, ())]
        if not have:
            continue
        available.append(
            {
                "language": str(lang),
                "label": lang.label,
                "count": len(have),
                "ranges": ranges(have),
                "episodes": [_episode_json(known[k]) for k in have],
                "torznab": _searches(slug, work, title_kind, have),
            }
        )
        parts.append(f"{lang.label} available {ranges(have)}".rstrip())
    unavailable = [k for k in missing if not any(str(x) in langs.get(k, ()) for x in languages)]
    if unavailable:
        parts.append(f"not available {ranges(unavailable)}")
    return {
        "work": work,
        "title": head[0] if head else None,
        "year": head[1] if head else None,
        "ids": {
            k: v
            for k, v in zip(("tvdb", "tmdb", "imdb"), head[2:5] if head else (), strict=False)
            if v is not None
        },
        "known": len(known),
        "owned": len(owned),
        "owned_ranges": ranges(owned),
        "missing": len(missing),
        "available": available,
        "unavailable": {"count": len(unavailable), "ranges": ranges(unavailable)},
        "summary": "; ".join(parts),
    }


def _episode_json(ep: _Episode) -> dict[str, int | None]:
    return {"season": ep.season, "episode": ep.episode, "absolute": ep.absolute}


def _ranges(episodes: list[_Episode], use_absolute: bool) -> str:
    """``1–20, 22`` (absolute) or ``S1 1–12, S2 1–3`` (one season: ``1–12``)."""
    if use_absolute:
        return _runs(sorted(e.absolute for e in episodes if e.absolute is not None))
    seasons: dict[int, list[int]] = {}
    for e in episodes:
        seasons.setdefault(e.season, []).append(e.episode)
    if len(seasons) == 1:
        return _runs(sorted(next(iter(seasons.values()))))
    return ", ".join(f"S{s} {_runs(sorted(n))}" for s, n in sorted(seasons.items()))


def _runs(numbers: list[int]) -> str:
    out: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        out.append(str(numbers[i]) if i == j else f"{numbers[i]}–{numbers[j]}")
        i = j + 1
    return ", ".join(out)


def _searches(slug: str, work: str, title_kind: str, keys: list[tuple[int, int]]) -> list[str]:
    """The Torznab requests (without the API key) that fetch the missing episodes: one season
    search per season, or the episode itself when one is missing from that season."""
    ns, _, value = work.partition(":")
    base = f"/torznab/{slug}/api?"
    if title_kind == "movie":
        key = {"imdb": "imdbid", "tmdb": "tmdbid"}.get(ns, "tvdbid")
        return [base + urlencode({"t": "movie", key: value})]
    id_param = {"tvdb": "tvdbid", "tmdb": "tmdbid", "imdb": "imdbid"}[ns]
    by_season: dict[int, list[int]] = {}
    for season, episode in keys:
        by_season.setdefault(season, []).append(episode)
    out = []
    for season, episodes in sorted(by_season.items()):
        params = {"t": "tvsearch", id_param: value, "season": str(season)}
        if len(episodes) == 1:
            params["ep"] = str(episodes[0])
        out.append(base + urlencode(params))
    return out
