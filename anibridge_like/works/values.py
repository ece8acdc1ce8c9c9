"""Metadata answers (contract objects) → a work's field values, and the difference between two
sets of values.

Values use one plain shape everywhere (reads, answers, the API): ids as ``int`` (IMDb as
``tt…`` text), ``aliases``/``genres`` as lists, ``episodes`` as a list of
``[season, episode, absolute, title, air_date, runtime, special]`` sorted by (season, episode).
``None`` (or an empty list) in an answer means *not provided*: a refresh never erases a value
with nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from anibridge_like.plugins.metadata import MovieInfo, SeriesInfo, WorkDetails

WorkValues = dict[str, Any]
Episode = list[Any]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def work_key(ids: Mapping[str, str], kind: Literal["series", "movie"]) -> str | None:
    """The work key for these ids — the rule of ``title_works`` and media-server resolution:
    TVDB, else TMDB, else IMDb (``None``: none of them)."""
    for ns in ("tvdb", "tmdb", "imdb"):
        value = ids.get(ns)
        if value and (ns == "imdb" or value.isdigit()):
            return f"{ns}:{value}"
    return None


def _details(d: WorkDetails) -> WorkValues:
    return {
        "status": d.status,
        "first_aired": d.first_aired,
        "last_aired": d.last_aired,
        "overview": d.overview,
        "genres": list(d.genres) or None,
        "rating": d.rating,
        "rating_votes": d.rating_votes,
        "poster_url": d.artwork.get("poster"),
        "fanart_url": d.artwork.get("fanart"),
    }


def _ids(ids: Mapping[str, str]) -> WorkValues:
    imdb = ids.get("imdb")
    return {
        "tvdb_id": _int(ids.get("tvdb")),
        "tmdb_id": _int(ids.get("tmdb")),
        "imdb_id": imdb if imdb and imdb.startswith("tt") else None,
        "anilist_id": _int(ids.get("anilist")),
        "mal_id": _int(ids.get("mal")),
    }


def series_values(
    info: SeriesInfo, namespace: str, extra_ids: Mapping[str, str] = {}
) -> WorkValues:
    """A series answer as work values (``namespace`` = the answering instance's id space)."""
    ids = {**info.external_ids, **extra_ids, namespace: info.id}
    episodes: list[Episode] = [
        [
            e.season,
            e.number,
            e.absolute,
            next(iter(e.titles.values()), None),
            e.air_date,
            e.runtime,
            int(e.season == 0),
        ]
        for e in sorted(info.episodes, key=lambda e: (e.season, e.number))
    ]
    return {
        **_ids(ids),
        "title": info.title,
        "aliases": [a for a in info.aliases if a != info.title] or None,
        "year": info.year,
        "episodes": episodes or None,
        **_details(info.details),
    }


def series_work(
    info: SeriesInfo, namespace: str, ids: Mapping[str, str]
) -> tuple[str, str, WorkValues] | None:
    """``(key, kind, values)`` of the work a series answer describes (keyed like
    ``title_works``), or ``None`` without a TVDB/TMDB/IMDb id."""
    key = work_key(ids, "series")
    return None if key is None else (key, "series", series_values(info, namespace, ids))


def movie_values(info: MovieInfo, namespace: str, extra_ids: Mapping[str, str] = {}) -> WorkValues:
    ids = {**info.external_ids, **extra_ids, namespace: info.id}
    return {
        **_ids(ids),
        "title": info.title,
        "aliases": [a for a in info.aliases if a != info.title] or None,
        "year": info.year,
        "episodes": None,
        **_details(info.details),
    }


def provided(value: Any) -> bool:
    return value is not None and value != []


ChangeKind = Literal["added", "changed", "unchanged"]


@dataclass(slots=True)
class WorkDiff:
    """What applying ``after`` to ``before`` does, per field."""

    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kinds: dict[str, ChangeKind] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """field → reason (``locked``, ``not_provided``)."""


def diff(
    before: WorkValues, after: WorkValues, fields: list[str], locks: frozenset[str]
) -> WorkDiff:
    out = WorkDiff()
    for name in fields:
        new = after.get(name)
        if name in locks:
            out.skipped[name] = "locked"
        elif not provided(new):
            out.skipped[name] = "not_provided"
        elif provided(old := before.get(name)):
            out.kinds[name] = "unchanged" if old == new else "changed"
            if old != new:
                out.changes[name] = (old, new)
        else:
            out.kinds[name] = "added"
            out.changes[name] = (old, new)
    return out


def _label(e: Episode) -> str:
    return f"S{e[0]:02d}E{e[1]:02d}"


def show_change(name: str, before: Any, after: Any) -> dict[str, Any]:
    """``{"before", "after"}`` for the API; an episode list is shown by count with the episodes
    added, removed and changed."""
    if name != "episodes":
        return {"before": before, "after": after}
    old = {(e[0], e[1]): e for e in before or []}
    new = {(e[0], e[1]): e for e in after or []}
    return {
        "before": {"count": len(old)},
        "after": {"count": len(new)},
        "added": [_label(new[k]) for k in sorted(new.keys() - old.keys())],
        "removed": [_label(old[k]) for k in sorted(old.keys() - new.keys())],
        "changed": [_label(new[k]) for k in sorted(old.keys() & new.keys()) if old[k] != new[k]],
    }
