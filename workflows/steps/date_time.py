"""date_time: are we within business hours right now? Exits `open` / `closed`.

Sets ``vars.is_open``, ``vars.next_open`` (ISO 8601, local time) and
``vars.next_open_text`` (like "Tue 06 Jan 09:00 (Europe/Berlin)") for messages.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import Field, field_validator

from workflows.business_hours import DAYS, holiday_checker, is_open, next_open, parse_window
from workflows.steps.base import StepBase, StepEnv, StepResult


def _weekdays() -> dict[str, list[str]]:
    return {day: ["09:00-17:00"] for day in DAYS[:5]}


class DateTimeStep(StepBase):
    OUTCOMES = ("open", "closed")

    type: Literal["date_time"] = "date_time"
    timezone: str = "UTC"
    hours: dict[str, list[str]] = Field(default_factory=_weekdays)
    holidays: list[date] = Field(default_factory=list)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r} (use e.g. Europe/Berlin)") from exc
        return name

    @field_validator("hours")
    @classmethod
    def _windows(cls, hours: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, windows in hours.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}: use {', '.join(DAYS)}")
            for window in windows:
                parse_window(window)
        return hours

    @field_validator("holiday_country")
    @classmethod
    def _country(cls, country: str | None) -> str | None:
        if country is not None and country not in holidays_lib.list_supported_countries():
            raise ValueError(f"no holiday calendar for country {country!r} (use e.g. US, DE)")
        return country

    def summary(self) -> str:
        return f"business hours ({self.timezone})"

    def enter(self, env: StepEnv) -> StepResult:
        zone = ZoneInfo(self.timezone)
        windows = {day: [parse_window(w) for w in spans] for day, spans in self.hours.items()}
        holiday = holiday_checker(self.holidays, self.holiday_country, self.holiday_subdivision)
        local = env.now.astimezone(zone)
        open_now = is_open(local, windows, holiday)
        upcoming = next_open(env.now, zone, windows, holiday)
        env.state.variables["is_open"] = open_now
        env.state.variables["next_open"] = upcoming.isoformat() if upcoming else None
        env.state.variables["next_open_text"] = (
            f"{upcoming:%a %d %b %H:%M} ({self.timezone})" if upcoming else None
        )
        return StepResult(
            exit="open" if open_now else "closed",
            message="open" if open_now else "closed",
            data={"local_time": local.isoformat(), "next_open": env.state.variables["next_open"]},
        )
