"""Cron that means what users write: pinned next fire times of representative presets in several
timezones, across DST changes (APScheduler 3 alone reads day-of-week 0 as Monday)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from anibridge_like.jobs.cron import (
    ScheduleError,
    cron_trigger,
    next_fire_times,
    translate_day_of_week,
    zone,
)

SUNDAYS = ["2026-12-06 04:00 Sun", "2026-12-13 04:00 Sun"]


def _fires(expr: str, tz: str, start: datetime, count: int = 3) -> list[str]:
    return [
        f.astimezone(UTC).strftime("%Y-%m-%d %H:%M %a")
        for f in next_fire_times(cron_trigger(expr, tz), start, count)
    ]


def test_apscheduler_alone_reads_day_zero_as_monday() -> None:
    """The bug this module exists for (if APScheduler fixes it, the translation still holds)."""
    raw = CronTrigger.from_crontab("0 4 * * 0", timezone=UTC)
    fire = raw.get_next_fire_time(None, datetime(2026, 12, 3, tzinfo=UTC))
    assert fire is not None and fire.strftime("%a") == "Mon"


@pytest.mark.parametrize(
    ("expr", "tz", "start", "expected"),
    [
        # weekly Sunday, written with 0 and with 7 and with the name
        (
            "0 4 * * 0",
            "UTC",
            datetime(2026, 12, 3),
            ["2026-12-06 04:00 Sun", "2026-12-13 04:00 Sun"],
        ),
        (
            "0 4 * * 7",
            "UTC",
            datetime(2026, 12, 3),
            ["2026-12-06 04:00 Sun", "2026-12-13 04:00 Sun"],
        ),
        (
            "0 4 * * sun",
            "UTC",
            datetime(2026, 12, 3),
            ["2026-12-06 04:00 Sun", "2026-12-13 04:00 Sun"],
        ),
        # Sunday 04:00 Berlin across the spring-forward Sunday (CET → CEST)
        (
            "0 4 * * 0",
            "Europe/Berlin",
            datetime(2026, 3, 20),
            ["2026-03-22 03:00 Sun", "2026-03-29 02:00 Sun", "2026-04-05 02:00 Sun"],
        ),
        # weekdays 1-5 are Monday to Friday
        (
            "30 6 * * 1-5",
            "Asia/Tokyo",
            datetime(2026, 12, 4, 12),
            ["2026-12-06 21:30 Sun", "2026-12-07 21:30 Mon", "2026-12-08 21:30 Tue"],
        ),
        # weekend list 0,6 and 6-7
        (
            "0 12 * * 0,6",
            "UTC",
            datetime(2026, 12, 3),
            ["2026-12-05 12:00 Sat", "2026-12-06 12:00 Sun", "2026-12-12 12:00 Sat"],
        ),
        (
            "0 12 * * 6-7",
            "UTC",
            datetime(2026, 12, 3),
            ["2026-12-05 12:00 Sat", "2026-12-06 12:00 Sun", "2026-12-12 12:00 Sat"],
        ),
        # nightly 02:30 Berlin: the spring-forward night fires when the clock jumps (01:30 UTC)
        (
            "30 2 * * *",
            "Europe/Berlin",
            datetime(2026, 3, 28),
            ["2026-03-28 01:30 Sat", "2026-03-29 01:30 Sun", "2026-03-30 00:30 Mon"],
        ),
        # 01:30 New York on the fall-back Sunday: the repeated wall-clock time fires once
        (
            "30 1 * * *",
            "America/New_York",
            datetime(2026, 10, 31, 12),
            ["2026-11-01 05:30 Sun", "2026-11-02 06:30 Mon", "2026-11-03 06:30 Tue"],
        ),
        # every 30 minutes through the repeated hour: forward only, every real half hour
        (
            "*/30 * * * *",
            "America/New_York",
            datetime(2026, 11, 1, 4, 50),
            ["2026-11-01 05:00 Sun", "2026-11-01 05:30 Sun", "2026-11-01 06:00 Sun"],
        ),
        # day-of-month and day-of-week both restricted: either matches (13 April is a Monday)
        (
            "0 0 13 * 5",
            "UTC",
            datetime(2026, 4, 8),
            ["2026-04-10 00:00 Fri", "2026-04-13 00:00 Mon", "2026-04-17 00:00 Fri"],
        ),
        # monthly on the 1st at 03:00 Sydney (southern-hemisphere DST ends in April)
        (
            "0 3 1 * *",
            "Australia/Sydney",
            datetime(2026, 3, 15),
            ["2026-03-31 16:00 Tue", "2026-04-30 17:00 Thu", "2026-05-31 17:00 Sun"],
        ),
    ],
)
def test_next_fire_times_are_what_cron_users_expect(
    expr: str, tz: str, start: datetime, expected: list[str]
) -> None:
    assert _fires(expr, tz, start.replace(tzinfo=UTC), len(expected)) == expected


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0-6", "sun,mon,tue,wed,thu,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1/3", "mon,thu"),
        ("mon-fri", "mon-fri"),
        ("*", "*"),
    ],
)
def test_numeric_days_are_translated_to_names(field: str, names: str) -> None:
    assert translate_day_of_week(field) == names


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("0 4 * *", "expected 5 fields"),
        ("0 4 * * 8", "day of week '8'"),
        ("0 4 * * 5-1", "runs backwards"),
        ("61 4 * * *", "invalid crontab"),
        ("0 4 * * */0", "bad step"),
    ],
)
def test_bad_crontab_is_refused_with_its_text(expr: str, needle: str) -> None:
    with pytest.raises(ScheduleError) as info:
        cron_trigger(expr, "UTC")
    assert needle in str(info.value) and repr(expr) in str(info.value)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", " UTC", "../etc/passwd", "Europe/"])
def test_unknown_timezone_is_refused_by_name(name: str) -> None:
    with pytest.raises(ScheduleError, match="timezone"):
        zone(name)
