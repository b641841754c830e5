"""Durations as workflow files write them: `90s`, `30m`, `24h`, `7d`, `2w` or ISO 8601 `PT2H`."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

from workflows.errors import InvalidDurationError

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_ISO = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str | int | float) -> timedelta:
    """Parse a duration; plain numbers are seconds. Raises InvalidDurationError."""
    if isinstance(text, bool):
        raise InvalidDurationError(f"{text!r} is not a duration")
    seconds = float(text) if isinstance(text, int | float) else _parse_text(text)
    if seconds <= 0:
        raise InvalidDurationError(f"{text!r} must be longer than zero")
    return timedelta(seconds=seconds)


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> float:
    """A duration text's seconds (a workflow's few texts are parsed once, not per run)."""
    short = _SHORT.match(text)
    if short:
        return timedelta(**{_UNITS[short.group(2).lower()]: float(short.group(1))}).total_seconds()
    iso = _ISO.match(text.strip())
    if iso and text.strip().upper() not in ("P", "PT") and not text.strip().upper().endswith("T"):
        parts = {k: float(v) for k, v in iso.groupdict().items() if v is not None}
        if parts:
            return timedelta(**parts).total_seconds()
    raise InvalidDurationError(
        f"{text!r} is not a duration (use e.g. 90s, 30m, 24h, 7d or ISO 8601 like PT2H)"
    )
