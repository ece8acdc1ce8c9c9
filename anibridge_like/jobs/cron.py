"""Schedules that mean what users write: 5-field crontab (or an interval) in an IANA timezone.

APScheduler 3's ``CronTrigger.from_crontab`` hands a numeric day-of-week to its own field, which
counts **0 = Monday** (agronholm/apscheduler #286, #455, #495, #1102; fixed only in 4.x), so
``0 4 * * 0`` — Sunday 04:00 to every cron user — fires on Monday. :func:`cron_trigger` is the one
place crontab text becomes a trigger: numeric days (``0`` and ``7`` = Sunday, ranges, lists and
steps) are expanded to day names, which APScheduler reads correctly. When both day-of-month and
day-of-week are restricted, cron fires when *either* matches (Vixie cron, POSIX); APScheduler
requires both, so such an expression becomes an ``OrTrigger`` of the two halves.

Daylight-saving changes: APScheduler 3, asked for the fire time after one inside a repeated
(fall-back) hour, can answer an *earlier* instant (``*/30`` at 01:30 EDT → 01:00 EDT again) and
so fire the same minutes over and over. The triggers made here ask from ``max(now, previous)``
instead and never return a time at or before the previous one; a wall-clock time that repeats
(``30 1 * * *`` on the fall-back night) fires once, as in cron. A time skipped by spring-forward
(``30 2 * * *`` in Europe/Berlin on the last Sunday of March) fires at the instant the clock
jumps to (03:30 CEST = 01:30 UTC).

Timezones are IANA names (``Europe/Berlin``); :func:`zone` refuses anything else with a message
naming it. A job's timezone defaults to ``ANIBRIDGE_TIMEZONE``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


class ScheduleError(ValueError):
    """A crontab expression or timezone that cannot be used (the message names it)."""


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``, or :class:`ScheduleError`."""
    if not name or name != name.strip():
        raise ScheduleError(f"invalid timezone {name!r}: expected an IANA name like Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"unknown timezone {name!r}: expected an IANA name like Europe/Berlin"
        ) from exc


def _after(moment: datetime) -> datetime:
    return moment.astimezone(UTC) + timedelta(microseconds=1)


_Next = Callable[[datetime | None, datetime], datetime | None]


def _wall_clock_next(
    inner: _Next, tz: ZoneInfo, previous: datetime | None, now: datetime
) -> datetime | None:
    """The next fire time strictly after ``previous`` and not before ``now``, skipping the
    repeat of ``previous``'s wall-clock time in a fall-back hour (bounded: two skips)."""
    # Arithmetic and comparisons in UTC: aware datetimes sharing a tzinfo compare by wall clock,
    # and adding to a local time in a repeated hour loses its fold (PEP 495).
    last = None if previous is None else previous.astimezone(UTC)
    start = now if last is None else max(now.astimezone(UTC), _after(last))
    for _ in range(3):
        fire = inner(None, start)
        if fire is None or previous is None or last is None:
            return fire
        wall = fire.astimezone(tz).replace(tzinfo=None)
        same_wall = wall == previous.astimezone(tz).replace(tzinfo=None)
        if fire.astimezone(UTC) > last and not same_wall:
            return fire
        start = _after(max(fire.astimezone(UTC), last))
    return None


class CrontabTrigger(CronTrigger):  # type: ignore[misc]
    """A :class:`CronTrigger` with the DST fix of the module docstring."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        inner = super().get_next_fire_time
        return _wall_clock_next(inner, self.timezone, previous_fire_time, now)


class CrontabOrTrigger(OrTrigger):  # type: ignore[misc]
    """Day-of-month *or* day-of-week (cron's rule), with the DST fix of the module docstring."""

    def __init__(self, triggers: list[BaseTrigger], tz: ZoneInfo) -> None:
        super().__init__(triggers)
        self.timezone = tz

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        inner = super().get_next_fire_time
        return _wall_clock_next(inner, self.timezone, previous_fire_time, now)


def _day_number(text: str, expr: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 7:
        raise ScheduleError(f"invalid crontab {expr!r}: day of week {text!r} is not 0-7 or a name")
    return int(text)


def translate_day_of_week(field: str, expr: str = "") -> str:
    """A crontab day-of-week field with numeric days (cron: 0 and 7 = Sunday) spelt as names;
    name-only parts and ``*`` pass unchanged. ``0-6`` → ``sun,mon,…,sat``; ``*/2`` →
    ``sun,tue,thu,sat``."""
    expr = expr or field
    if field in ("*", "?"):
        return "*"
    days: list[str] = []
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        if not base or not any(ch.isdigit() for ch in part):
            days.append(part)  # names (mon, mon-fri) and */… of names: APScheduler reads them
            continue
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"invalid crontab {expr!r}: bad step {step_text!r}")
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            low, _, high = base.partition("-")
            first, last = _day_number(low, expr), _day_number(high, expr)
            if first > last:
                raise ScheduleError(f"invalid crontab {expr!r}: range {base!r} runs backwards")
        else:
            first = _day_number(base, expr)
            last = 6 if step_text else first
        for number in range(first, last + 1, step):
            name = _DAY_NAMES[number % 7]
            if name not in days:
                days.append(name)
    return ",".join(days)


def cron_trigger(expr: str, timezone: str) -> BaseTrigger:
    """The trigger of a 5-field crontab expression in ``timezone`` (see the module docstring)."""
    tz = zone(timezone)
    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"invalid crontab {expr!r}: expected 5 fields (minute hour day month weekday),"
            f" got {len(fields)}"
        )
    values: dict[str, Any] = dict(zip(_FIELDS, fields, strict=True))
    values["day_of_week"] = translate_day_of_week(values["day_of_week"], expr)
    try:
        if values["day"] not in ("*", "?") and values["day_of_week"] != "*":
            by_day = CronTrigger(**{**values, "day_of_week": "*"}, timezone=tz)
            by_weekday = CronTrigger(**{**values, "day": "*"}, timezone=tz)
            return CrontabOrTrigger([by_day, by_weekday], tz)
        return CrontabTrigger(**values, timezone=tz)
    except ValueError as exc:
        raise ScheduleError(f"invalid crontab {expr!r}: {exc}") from exc


def interval_trigger(hours: float, timezone: str) -> IntervalTrigger:
    """Every ``hours`` hours (the timezone only matters for the trigger's display)."""
    if hours <= 0:
        raise ScheduleError(f"invalid interval {hours!r}: must be positive hours")
    return IntervalTrigger(hours=hours, timezone=zone(timezone))


def validate_cron(expr: str, timezone: str) -> None:
    """Raise :class:`ScheduleError` when ``expr`` in ``timezone`` cannot be scheduled."""
    cron_trigger(expr, timezone)


def next_fire_times(trigger: BaseTrigger, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (bounded: for tests and previews)."""
    out: list[datetime] = []
    previous: datetime | None = None
    moment = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        out.append(fire)
        previous = fire
        moment = _after(fire)
    return out
