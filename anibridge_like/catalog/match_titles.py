"""Matching provider titles to canonical candidates — pure functions, no I/O.

Titles
------
:func:`normalize` folds a name for comparison: TVDB's disambiguation suffixes dropped
(``Name (2023)``, ``Name (2020) (JP)``), NFKD with diacritics stripped, ``&`` → ``and``,
apostrophes dropped, other punctuation to spaces, lower case, a leading article removed
(the/a/an/der/die/das), and a sequel or film form removed; :func:`title_key` also returns what
that form says as a *season hint*:

* a number: ``X 2nd Season``, ``X Season 2``, ``X Staffel 2``, ``X - 2. Staffel``, ``X Part 2``,
  ``X S2``, and a trailing roman numeral ``X II``/``X III`` (other romans become digits);
* :data:`FINAL` (``X Final Season``: the show's last season), :data:`LATER` (``X: re``: the later
  season that aired in the page's year), :data:`FILM` (``X – The Movie: Y``: a film of ``X``).

:func:`score_candidate` scores one candidate (0–100+) as the best :mod:`rapidfuzz` ratio over every
(query name, candidate name) pair — exact normalized equality is 100 — then

* different sequel numbers (``2`` vs none) cost 25, different season hints 30, a candidate name
  with a season hint against a query without one 25 (``X II`` is not ``X``); a movie query's
  hint against a candidate without one 25 (a movie ``X II`` is a sequel, not a season of ``X``),
* the year: same 0, ±1 −5, ±2 −12, further −25 − min(Δ, 10); unknown on either side −5;
  none when the query names a later season and is not older,
* another kind (series vs movie) −20.

An explicit id both sides share (``imdb``, ``tvdb``, ``anilist`` …) wins outright (score 200,
+10 for each further shared id); a candidate lists every AniList/MAL id of a show (one per cour,
in order), and a match on the n-th one carries season n as the hint. Equally named candidates are
told apart by tie-break points that rank and decide conflicts but do not move the thresholds: +4
when the best pair uses the candidate's main (canonical) name, +1 when it uses the query's main
title (often a translation), +2 for each further query name the candidate also carries (at most
+4), −9 when the match reads the query's hint as a season of a candidate without one (a show
named ``X II`` beats season 2 of ``X``); explicit candidates rank by a tenth of their name score.

:func:`classify` turns the ranked scores into an outcome (the thresholds are :data:`CONFIRMED`,
:data:`HIGH`, :data:`LOW`, :data:`CONFLICT_MARGIN`):

===========  ===================================================================================
confirmed    explicit id, or exact normalized name with the same year (score ≥ 100)
high         score ≥ 90
low          score ≥ 75 (served for text searches only)
conflict     a different candidate within 3 points of the best one, or two candidates with the
             same explicit ids whose names are as close (twins; kept, never served)
unmatched    nothing reaches 75
===========  ===================================================================================
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz

MatchStatus = Literal["confirmed", "high", "low", "unmatched", "conflict"]

CONFIRMED = 100.0
HIGH = 90.0
LOW = 75.0
CONFLICT_MARGIN = 3.0
EXPLICIT = 200.0
NAME_AGREE = 97.0
"""A further query name counts as carried by a candidate at this name score."""
EPISODE_AGREE = 95.0
"""Two episode titles agree at this ratio (generated and real titles differ by one digit)."""

_ARTICLES = frozenset({"the", "a", "an", "der", "die", "das"})
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
LATER = 99
"""Season hint of a sequel form without a number (``X: re``): a later season, found by year."""
FINAL = 100
"""Season hint of ``X Final Season``: the show's last season."""
FILM = 98
"""Hint of an anime site's film page (``X – The Movie: Y``): a film of ``X``, not a season."""
_SEASON_PATTERNS = (
    re.compile(r"^(?P<base>.+?) (?P<n>\d{1,2})(?:st|nd|rd|th) (?:season|staffel)$"),
    re.compile(r"^(?P<base>.+?) (?P<w>first|second|third|fourth|fifth|sixth) season$"),
    re.compile(r"^(?P<base>.+?) (?:season|staffel|part|teil|cour) (?P<n>\d{1,2})$"),
    re.compile(r"^(?P<base>.+?) (?P<n>\d{1,2}) staffel$"),
    re.compile(r"^(?P<base>.+?) s(?P<n>\d{1,2})$"),
    re.compile(r"^(?P<base>.+?) (?P<r>ii|iii|iv|vi|vii|viii|ix)$"),
    re.compile(r"^(?P<base>.+?) (?P<final>final) (?:season|staffel)$"),
    re.compile(r"^(?P<base>.+?) (?P<later>re)$"),
    re.compile(r"^(?P<base>.+?) (?P<film>the movie|der film|gekijouban)(?: .*)?$"),
)
_HINT_TAILS = frozenset({"season", "staffel", "re", *_ROMAN})
_SUFFIX = re.compile(r"\s*(?:\((?:\d{4}|[A-Z]{2,3})\)\s*)+$")
"""TVDB's disambiguation suffixes: ``Name (2023)``, ``Name (2020) (JP)``, ``Name (US)``."""
_PUNCT = re.compile(r"[^\w]+|_")
_DIGITS = re.compile(r"\b\d+\b")
_TRAILING_NUMBER = re.compile(r"^(.+) ([2-9])$")


def fold(text: str) -> str:
    """NFKD, diacritics stripped, lower case, punctuation to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ß", "ss").replace("&", " and ")
    stripped = stripped.replace("'", "").replace("’", "").replace("`", "")
    return " ".join(_PUNCT.sub(" ", stripped.lower()).split())


def strip_suffix(text: str) -> str:
    """A name without TVDB's disambiguation suffixes (``Name (2020) (JP)`` → ``Name``)."""
    if not text.rstrip().endswith(")"):
        return text
    stripped = _SUFFIX.sub("", text)
    return stripped if stripped.strip() else text


def _may_hint(words: list[str]) -> bool:
    """Cheap test whether any season/film pattern can match (most names end in none)."""
    last = words[-1]
    return (
        last in _HINT_TAILS
        or last.isdigit()
        or (last[0] == "s" and last[1:].isdigit())
        or "movie" in words
        or "film" in words
        or "gekijouban" in words
    )


def title_key(text: str) -> tuple[str, int | None]:
    """``(normalized name, season hint)`` of a title (see the module docstring)."""
    words = fold(strip_suffix(text)).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    base = " ".join(words)
    if len(words) < 2 or not _may_hint(words):
        return " ".join(_ROMAN.get(w, w) for w in words), None
    for pattern in _SEASON_PATTERNS:
        match = pattern.match(base)
        if match:
            groups = match.groupdict()
            if groups.get("n"):
                number = int(groups["n"])
            elif groups.get("w"):
                number = _ORDINALS[groups["w"]]
            elif groups.get("r"):
                number = int(_ROMAN[groups["r"]])
            else:
                number = FINAL if groups.get("final") else LATER if groups.get("later") else FILM
            return " ".join(_ROMAN.get(w, w) for w in match.group("base").split()), number
    return " ".join(_ROMAN.get(w, w) for w in words), None


def normalize(text: str) -> str:
    """The comparison form of a title (see the module docstring)."""
    return title_key(text)[0]


@dataclass(frozen=True, slots=True)
class Query:
    """A provider title to match: its names (title first, then aliases) and what else we know."""

    names: tuple[str, ...]
    year: int | None = None
    kind: Literal["series", "movie"] = "series"
    explicit_ids: Mapping[str, str] = field(default_factory=dict)
    keys: tuple[tuple[str, int | None], ...] = ()

    def __post_init__(self) -> None:
        if not self.keys:
            keys = tuple(dict.fromkeys(title_key(n) for n in self.names if n.strip()))
            object.__setattr__(self, "keys", keys)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A canonical entry a query may match."""

    id: str
    names: tuple[str, ...]
    year: int | None = None
    kind: Literal["series", "movie"] = "series"
    external_ids: Mapping[str, str] = field(default_factory=dict)
    keys: tuple[tuple[str, int | None], ...] = ()
    id_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Every id per namespace where the source lists several (SkyHook: one AniList/MAL id per
    cour or season, in season order); ``external_ids`` holds the first."""

    def __post_init__(self) -> None:
        if not self.keys:
            keys = [title_key(n) for n in self.names if n.strip()]
            # "Black Dragon 2" is also what a query "Black Dragon II" names
            keys += [
                (m.group(1), int(m.group(2)))
                for k, hint in keys
                if hint is None and (m := _TRAILING_NUMBER.match(k))
            ]
            object.__setattr__(self, "keys", tuple(dict.fromkeys(keys)))


@dataclass(frozen=True, slots=True)
class Scored:
    candidate: Candidate
    score: float
    """Name, year and kind: what the outcome thresholds apply to."""
    reason: str
    season_hint: int | None = None
    explicit: bool = False
    bonus: float = 0.0
    """Tie-break points between equally named candidates (ranking and conflicts only)."""

    @property
    def total(self) -> float:
        return self.score + self.bonus


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    status: MatchStatus
    score: float | None
    best: Candidate | None
    reason: str
    season_hint: int | None = None
    runner_up: Scored | None = None


def explicit_match(query: Query, cand: Candidate) -> str | None:
    """The ``namespace=value`` both sides carry, if any (imdb ids compared with ``tt``)."""
    found = explicit_ids(query, cand)
    return found[0][0] if found else None


def explicit_ids(query: Query, cand: Candidate) -> list[tuple[str, int]]:
    """Every ``(namespace=value, position)`` both sides carry; ``position`` is the index of the
    value in the candidate's id list (0 for a single id)."""
    out: list[tuple[str, int]] = []
    for ns, value in query.explicit_ids.items():
        mine = id_value(ns, value)
        theirs = cand.id_lists.get(ns) or (
            (cand.external_ids[ns],) if ns in cand.external_ids else ()
        )
        for pos, other in enumerate(theirs):
            if id_value(ns, other) == mine:
                out.append((f"{ns}={mine}", pos))
                break
    return out


def id_value(ns: str, value: str) -> str:
    value = value.strip().lower()
    return value if ns != "imdb" or value.startswith("tt") else f"tt{value}"


def digits_of(text: str) -> frozenset[str]:
    return frozenset(_DIGITS.findall(text))


def _name_score(
    qk: tuple[str, int | None], ck: tuple[str, int | None], *, movie: bool = False
) -> float:
    q, c = qk[0], ck[0]
    if not q or not c:
        return 0.0
    score = 100.0 if q == c else max(fuzz.ratio(q, c), fuzz.token_sort_ratio(q, c))
    if digits_of(q) != digits_of(c):
        score -= 25.0
    if qk[1] is not None and ck[1] is not None and qk[1] != ck[1]:
        score -= 30.0
    elif ck[1] is not None and qk[1] is None:
        score -= 25.0  # the candidate is a sequel ("X II"), the query the original
    elif movie and qk[1] is not None and ck[1] is None:
        score -= 25.0  # a movie "X II" is a sequel, never a season of "X"
    return score


def year_adjustment(a: int | None, b: int | None, *, later_season: bool = False) -> float:
    """Score change for the query year ``a`` vs the candidate year ``b``.

    ``later_season``: the query names a later season ("2nd Season"), which airs after the
    show's first year — a later query year costs nothing then.
    """
    if a is None or b is None:
        return -5.0
    if later_season and a >= b:
        return 0.0
    diff = abs(a - b)
    if diff <= 2:
        return (0.0, -5.0, -12.0)[diff]
    return -25.0 - min(diff, 10)


def score_candidate(query: Query, cand: Candidate) -> Scored:
    """Score one candidate against a query (see the module docstring)."""
    named = _by_names(query, cand)
    found = explicit_ids(query, cand)
    if not found:
        return named
    later = max(pos for _label, pos in found)
    hint = later + 1 if later else named.season_hint
    labels = ", ".join(label + (f" (season {pos + 1})" if pos else "") for label, pos in found)
    return Scored(
        cand,
        EXPLICIT + 10.0 * (len(found) - 1),
        f"explicit id {labels}; {named.reason}",
        season_hint=hint,
        explicit=True,
        bonus=0.1 * named.total,
    )


def _by_names(query: Query, cand: Candidate) -> Scored:
    best, bi, bj = -1.0, 0, 0
    exact_names: set[int] = set()
    for i, qk in enumerate(query.keys):
        for j, ck in enumerate(cand.keys):
            s = _name_score(qk, ck, movie=query.kind == "movie")
            if s >= NAME_AGREE:
                exact_names.add(i)
            if s > best or (s == best and (i, j) < (bi, bj)):
                best, bi, bj = s, i, j
    if best < 0:
        return Scored(cand, 0.0, "no comparable names")
    best_q, best_c = query.keys[bi], cand.keys[bj]
    # Tie-breaks between equally named candidates: the candidate's main name, the query's main
    # name, and further query names that the candidate also carries.
    bonus = (4.0 if bj == 0 else 0.0) + (1.0 if bi == 0 else 0.0)
    bonus += min(4.0, 2.0 * len(exact_names - {bi}))
    if best_q[1] is not None and best_c[1] is None:
        bonus -= 9.0  # "X II" is the show named "X II" before it is season 2 of "X"
    hint = best_q[1] if best_c[1] is None and query.kind == "series" else None
    years = year_adjustment(query.year, cand.year, later_season=bool(hint and hint > 1))
    kind = 0.0 if query.kind == cand.kind else -20.0
    parts = [f"name {best:.0f} ({best_q[0]!r}~{best_c[0]!r})"]
    if bonus:
        parts.append(f"names {bonus:+.0f}")
    if years:
        parts.append(f"year {query.year}/{cand.year} {years:+.0f}")
    if kind:
        parts.append(f"kind {query.kind}/{cand.kind} {kind:+.0f}")
    if hint:
        parts.append(f"season hint {hint}")
    return Scored(cand, best + years + kind, ", ".join(parts), season_hint=hint, bonus=bonus)


def classify(ranked: Sequence[Scored]) -> MatchOutcome:
    """The outcome of scores ranked best first."""
    if not ranked or ranked[0].score < LOW:
        top = ranked[0] if ranked else None
        why = (
            f"best {top.candidate.id} scored {top.score:.1f} < {LOW:.0f}: {top.reason}"
            if top
            else "no candidates"
        )
        return MatchOutcome("unmatched", top.score if top else None, None, why)
    best = ranked[0]
    second = next((s for s in ranked[1:] if s.candidate.id != best.candidate.id), None)
    if (
        best.explicit
        and second is not None
        and second.explicit
        and best.score == second.score
        and best.total - second.total < CONFLICT_MARGIN
    ):
        reason = (
            f"conflict: {best.candidate.id} and {second.candidate.id} are indistinguishable"
            f" ({best.reason} | {second.reason})"
        )
        return MatchOutcome("conflict", best.score, best.candidate, reason, None, second)
    if best.explicit:
        return MatchOutcome(
            "confirmed", best.score, best.candidate, best.reason, best.season_hint, second
        )
    if second is not None and second.score >= LOW and best.total - second.total < CONFLICT_MARGIN:
        reason = (
            f"conflict: {best.candidate.id} {best.score:.1f} ({best.reason}) vs "
            f"{second.candidate.id} {second.score:.1f} ({second.reason})"
        )
        return MatchOutcome("conflict", best.score, best.candidate, reason, None, second)
    status: MatchStatus = (
        "confirmed" if best.score >= CONFIRMED else "high" if best.score >= HIGH else "low"
    )
    return MatchOutcome(status, best.score, best.candidate, best.reason, best.season_hint, second)


def rank(query: Query, candidates: Iterable[Candidate]) -> list[Scored]:
    """Every candidate scored, best first (ties by id for determinism); one row per id."""
    seen: dict[str, Scored] = {}
    for cand in candidates:
        s = score_candidate(query, cand)
        if cand.id not in seen or s.total > seen[cand.id].total:
            seen[cand.id] = s
    return sorted(seen.values(), key=lambda s: (-s.total, -s.score, s.candidate.id))


def match_title(query: Query, candidates: Iterable[Candidate]) -> MatchOutcome:
    """Rank and classify: the whole title match in one call."""
    return classify(rank(query, candidates))
