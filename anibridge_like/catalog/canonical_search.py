"""How the canonical stage finds a title's candidates at one metadata instance.

1. The instance's own id when the page links it (``get_series``/``get_movie``).
2. Linked ids the instance can look up (``capabilities.lookup``), in :data:`LOOKUP_ORDER` — the
   page's IMDb id first, then ids a helper found (AniList/MAL) — until one confirms: SkyHook
   answers ``imdb:tt…``/``anilist:…`` search terms, TMDB ``/find/{imdb}``.
3. Names (title, aliases; a sequel or film form by its base name, TVDB suffixes stripped), up to
   :data:`MAX_TERMS`, stopping at a confirmed match.
4. Movies only: when nothing is served yet, the search again without the year (a year-filtered
   search may hold only look-alikes), then the two closest candidates fetched with all their
   names (alternative titles, translations) and scored again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from anibridge_like.catalog.matching import (
    Candidate,
    MatchOutcome,
    MatchStatus,
    Query,
    match_title,
    rank,
    strip_suffix,
    title_key,
)
from anibridge_like.catalog.metadata_calls import MetadataCalls, as_candidate
from anibridge_like.plugins.metadata import IdNamespace, MetadataInstance

MAX_TERMS = 4
"""Distinct names (title, aliases) searched per title at most."""
SERVED: tuple[MatchStatus, ...] = ("confirmed", "high")
LOOKUP_ORDER: tuple[IdNamespace, ...] = ("imdb", "tvdb", "tmdb", "anilist", "mal")
"""Linked ids are looked up in this order (the page's own link first) until one confirms."""


def search_terms(names: Sequence[str]) -> list[str]:
    """Distinct search terms: a sequel/film form is searched by its base name ("x" for
    "X - 2. Staffel"), since the service names the show, not the season."""
    seen: dict[str, str] = {}
    for name in names:
        key, hint = title_key(name)
        if key and key not in seen:
            seen[key] = key if hint is not None else strip_suffix(name)
    return list(seen.values())[:MAX_TERMS]


async def match_with(
    calls: MetadataCalls,
    inst: MetadataInstance,
    query: Query,
    names: Sequence[str],
    year: int | None,
    movie: bool,
) -> MatchOutcome:
    """Candidates from ``inst`` for ``query``, ranked and classified (see the module docstring)."""
    candidates: dict[str, Candidate] = {}
    kind: Literal["series", "movie"] = "movie" if movie else "series"
    own = query.explicit_ids.get(inst.capabilities.namespace)
    if own:
        info = await (calls.get_movie(inst, own) if movie else calls.get_series(inst, own))
        if info is not None:
            candidates[info.id] = as_candidate(info, kind)
    # Linked ids first (the page's IMDb id, a helper's AniList id), names second.
    for ns in LOOKUP_ORDER:
        value = query.explicit_ids.get(ns)
        if value is None or ns == inst.capabilities.namespace:
            continue
        if match_title(query, candidates.values()).status == "confirmed":
            break
        for c in await calls.find(inst, ns, value, movie=movie):
            candidates.setdefault(c.id, c)
    if match_title(query, candidates.values()).status != "confirmed":
        for term in search_terms(names):
            for c in await calls.search(inst, term, year, movie=movie):
                candidates.setdefault(c.id, c)
            if match_title(query, candidates.values()).status == "confirmed":
                break
    outcome = match_title(query, candidates.values())
    if movie and year is not None and outcome.status not in SERVED:
        # the year-filtered search found nothing, or only look-alikes: ask without the year
        for term in search_terms(names)[:2]:
            for c in await calls.search(inst, term, None, movie=movie):
                candidates.setdefault(c.id, c)
        outcome = match_title(query, candidates.values())
    if movie and outcome.status not in SERVED and candidates:
        # score the closest candidates on all their names (alternative titles, translations)
        for scored in rank(query, candidates.values())[:2]:
            info = await calls.get_movie(inst, scored.candidate.id)
            if info is not None:
                candidates[info.id] = as_candidate(info, kind)
        outcome = match_title(query, candidates.values())
    return outcome
