"""Timestamps as the database stores them: ISO-8601 UTC with milliseconds and a ``Z``
(fixed width, so they compare as text)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """Fixed-width ISO-8601 UTC (``2026-11-22T10:00:00.000Z``); None stays None."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now_iso() -> str:
    stamp = iso(utcnow())
    assert stamp is not None
    return stamp


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
