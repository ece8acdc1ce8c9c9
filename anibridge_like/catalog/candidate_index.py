"""Matching many provider titles against a large candidate set (bench and bulk use): blocking
first, then :func:`~anibridge_like.catalog.match_titles.match_title` on what passes."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from anibridge_like.catalog.match_titles import (
    LOW,
    Candidate,
    MatchOutcome,
    Query,
    id_value,
    match_title,
)


class CandidateIndex:
    """A large candidate set indexed for many queries.

    Blocking per query name: candidates sharing an explicit id, candidates carrying exactly that
    normalized name, and — only for names without an exact hit — the ``fuzzy_limit`` nearest
    names by :func:`rapidfuzz.process.extract` (C speed over every key). What the blocking lets
    through goes through :func:`match_title`.
    """

    def __init__(self, candidates: Iterable[Candidate], *, fuzzy_limit: int = 12) -> None:
        self.candidates = list(candidates)
        self._exact: dict[str, list[int]] = {}
        self._ids: dict[tuple[str, str], list[int]] = {}
        self._fuzzy_limit = fuzzy_limit
        for i, cand in enumerate(self.candidates):
            for ns, value in cand.external_ids.items():
                self._ids.setdefault((ns, id_value(ns, value)), []).append(i)
            for ns, values in cand.id_lists.items():
                for value in values:
                    self._ids.setdefault((ns, id_value(ns, value)), []).append(i)
            for key, _hint in cand.keys:
                self._exact.setdefault(key, []).append(i)
        self._keys = list(self._exact)

    def _block(self, query: Query) -> set[int]:
        picked: set[int] = set()
        for ns, value in query.explicit_ids.items():
            picked.update(self._ids.get((ns, id_value(ns, value)), ()))
        for key, _hint in query.keys:
            hits = self._exact.get(key)
            if hits:
                picked.update(hits)
                continue
            near = process.extract(
                key,
                self._keys,
                scorer=fuzz.ratio,
                limit=self._fuzzy_limit,
                score_cutoff=LOW - 10,
            )
            for name, _score, _pos in near:
                picked.update(self._exact[name])
        return picked

    def match(self, query: Query) -> MatchOutcome:
        return match_title(query, (self.candidates[i] for i in sorted(self._block(query))))
