"""Precision and recall of served mappings against a world's truth (tests and ``bench/``).

*Served* is what Torznab answers by id: a series/movie mapping with status ``confirmed`` or
``high``, and an episode mapping with such a status under a served series. A title is counted
under ``series`` when it is a series page or its truth is a TVDB entry (an anime film page that
is a TVDB special), else under ``movies``. Titles the world marks as conflicts, and titles with no
truth, must not be served: serving them counts against precision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from anibridge_like.demo.catalog import GenTitle

SERVED = ("confirmed", "high")


@dataclass
class Score:
    served: int = 0
    correct: int = 0
    expected: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.served if self.served else 1.0

    @property
    def recall(self) -> float:
        return min(self.correct, self.expected) / self.expected if self.expected else 1.0


@dataclass(frozen=True, slots=True)
class SeriesRow:
    status: str
    tvdb: int | None
    tmdb: int | None


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    status: str
    season: int | None
    episode: int | None


def score(
    titles: Iterable[tuple[GenTitle, str]],
    series: Mapping[tuple[str, str], SeriesRow],
    episodes: Mapping[tuple[str, str, int, int], EpisodeRow],
    conflicts: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Score]:
    """Scores by ``series``, ``movies``, ``episodes`` and ``<group>:<part>`` for every group
    named with the titles (``titles`` pairs a site title with its group, e.g. a phenomenon)."""
    out: dict[str, Score] = {}

    def add(keys: tuple[str, ...], served: bool, correct: bool, expected: bool, what: str) -> None:
        for key in keys:
            s = out.setdefault(key, Score())
            s.served += served
            s.correct += served and correct
            s.expected += expected
            if served and not correct:
                s.wrong.append(what)

    for t, group in titles:
        key = (t.site, t.slug)
        is_series = t.kind == "series" or t.tvdb_id is not None
        part = "series" if is_series else "movies"
        truth = t.tvdb_id if is_series else t.tmdb_id
        conflict = key in conflicts
        row = series.get(key)
        served = row is not None and row.status in SERVED
        got = None if row is None else (row.tvdb if is_series else row.tmdb)
        ok = served and truth is not None and not conflict and got == truth
        expected = truth is not None and not conflict
        add((part, f"{group}:{part}"), served, ok, expected, f"{t.site}/{t.slug}: {got}≠{truth}")
        if not is_series:
            continue
        for e in t.episodes:
            em = episodes.get((t.site, t.slug, e.season, e.number))
            e_served = ok and em is not None and em.status in SERVED
            e_served = e_served or (served and not ok and em is not None and em.status in SERVED)
            want = (e.tvdb_season, e.tvdb_episode) if e.tvdb_season is not None else None
            e_ok = ok and em is not None and want == (em.season, em.episode)
            add(
                ("episodes", f"{group}:episodes"),
                e_served,
                e_ok,
                expected and want is not None,
                f"{t.site}/{t.slug} {e.season}x{e.number}: {em and (em.season, em.episode)}≠{want}",
            )
    return out
