"""Matching provider titles and episodes to canonical metadata — pure functions, no I/O.

Two modules do the work (this one re-exports their public names for existing importers):

* :mod:`~anibridge_like.catalog.match_titles` — name folding, sequel/season forms, candidate
  scoring and the outcome of a title match (confirmed/high/low/conflict/unmatched);
* :mod:`~anibridge_like.catalog.match_episodes` — a title's site episodes onto the canonical
  (TVDB) episode list;
* :mod:`~anibridge_like.catalog.candidate_index` — blocking for many titles against a large
  candidate set.
"""

from __future__ import annotations

from anibridge_like.catalog.candidate_index import CandidateIndex
from anibridge_like.catalog.match_episodes import (
    EpisodeMapping,
    EpisodeStatus,
    Method,
    Scheme,
    SiteEpisode,
    map_episodes,
    resolve_hint,
    title_similarity,
)
from anibridge_like.catalog.match_titles import (
    CONFIRMED,
    CONFLICT_MARGIN,
    EPISODE_AGREE,
    EXPLICIT,
    HIGH,
    LOW,
    NAME_AGREE,
    Candidate,
    MatchOutcome,
    MatchStatus,
    Query,
    Scored,
    classify,
    explicit_match,
    fold,
    match_title,
    normalize,
    rank,
    score_candidate,
    strip_suffix,
    title_key,
    year_adjustment,
)

__all__ = [
    "CONFIRMED",
    "CONFLICT_MARGIN",
    "EPISODE_AGREE",
    "EXPLICIT",
    "HIGH",
    "LOW",
    "NAME_AGREE",
    "Candidate",
    "CandidateIndex",
    "EpisodeMapping",
    "EpisodeStatus",
    "MatchOutcome",
    "MatchStatus",
    "Method",
    "Query",
    "Scheme",
    "Scored",
    "SiteEpisode",
    "classify",
    "explicit_match",
    "fold",
    "map_episodes",
    "match_title",
    "normalize",
    "rank",
    "resolve_hint",
    "score_candidate",
    "strip_suffix",
    "title_key",
    "title_similarity",
    "year_adjustment",
]
