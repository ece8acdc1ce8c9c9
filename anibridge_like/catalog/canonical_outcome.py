"""What the canonical stage records: a run's counts and one title's outcome rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from anibridge_like.catalog.canonical_store import (
    OutcomeKind,
    TitleOutcome,
    TitleRow,
    series_values,
)
from anibridge_like.catalog.matching import EpisodeMapping, MatchStatus


@dataclass(slots=True)
class CanonicalResult:
    """Counts of one run. ``mapped`` = confirmed/high (served by id); ``low`` kept for text."""

    total: int = 0
    mapped: int = 0
    low: int = 0
    unmatched: int = 0
    conflict: int = 0
    failed: int = 0
    skipped_pinned: int = 0
    skipped_unconfigured: int = 0
    not_configured: list[str] = field(default_factory=list)
    """Instances that reported ``not_configured`` during the run."""
    last_error: str | None = None
    requests: int = 0
    """Metadata calls sent (retries included); cached answers are not counted."""
    cache_hits: int = 0

    @property
    def done(self) -> int:
        return (
            self.mapped
            + self.low
            + self.unmatched
            + self.conflict
            + self.failed
            + self.skipped_pinned
            + self.skipped_unconfigured
        )


def missing_regulars(t: TitleRow, mappings: list[EpisodeMapping]) -> bool:
    """Regular site episodes left unmapped (the cached series may predate them)."""
    mapped = {m.key for m in mappings}
    return any(e.kind == "episode" and e.key not in mapped for e in t.episodes)


def title_outcome(
    t: TitleRow,
    status: MatchStatus,
    score: float | None,
    source: str,
    reason: str,
    ids: dict[str, str] | None = None,
    title: str | None = None,
    year: int | None = None,
    *,
    episodes: list[EpisodeMapping] | None = None,
) -> TitleOutcome:
    """One title's outcome: ``series_mappings`` values and its episodes (``low`` ones dropped)."""
    kind: OutcomeKind = (
        "mapped"
        if status in ("confirmed", "high", "low")
        else "conflict"
        if status == "conflict"
        else "unmatched"
    )
    ids = ids if status != "unmatched" else {}
    values = series_values(status, score, source, reason, ids or {}, title, year)
    if episodes is not None:  # a low episode mapping is a guess: never number a release by it
        episodes = [m for m in episodes if m.status != "low"]
    return TitleOutcome(t, kind, series=values, episodes=episodes)
