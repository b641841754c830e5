"""Business hours: weekly windows in a time zone, closed on holidays; when is it next open."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Window = tuple[time, time | None]
"""Start and end of an open window; an end of None means midnight (`24:00`)."""


def parse_window(text: str) -> Window:
    """`09:00-17:00` -> (09:00, 17:00); `00:00-24:00` is the whole day."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a window like 09:00-17:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text!r} has an impossible time")
    start, end = time(h1, m1), (None if h2 == 24 else time(h2, m2))
    if end is not None and end <= start:
        raise ValueError(f"{text!r} ends before it starts (split windows at midnight)")
    return start, end


def holiday_checker(
    dates: Sequence[date], country: str | None, subdivision: str | None = None
) -> Callable[[date], bool]:
    """A predicate: is this local date a holiday (listed, or public in ``country``)?"""
    listed = set(dates)
    public = holidays_lib.country_holidays(country, subdiv=subdivision) if country else None

    def is_holiday(day: date) -> bool:
        return day in listed or (public is not None and day in public)

    return is_holiday


def is_open(
    local: datetime, hours: Mapping[str, Sequence[Window]], is_holiday: Callable[[date], bool]
) -> bool:
    if is_holiday(local.date()):
        return False
    moment = local.time().replace(tzinfo=None)
    return any(
        start <= moment and (end is None or moment < end)
        for start, end in hours.get(DAYS[local.weekday()], ())
    )


def next_open(
    now: datetime,
    zone: ZoneInfo,
    hours: Mapping[str, Sequence[Window]],
    is_holiday: Callable[[date], bool],
    horizon_days: int = 400,
) -> datetime | None:
    """The first moment at or after ``now`` when business is open (local time), or None."""
    local = now.astimezone(zone)
    if is_open(local, hours, is_holiday):
        return local
    for offset in range(horizon_days):
        day = local.date() + timedelta(days=offset)
        if is_holiday(day):
            continue
        for start, _end in sorted(hours.get(DAYS[day.weekday()], ())):
            candidate = datetime.combine(day, start, tzinfo=zone)
            if candidate > local:
                return candidate
    return None
