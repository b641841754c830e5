"""Turning context values into things that compare as what they are, and back into JSON."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def to_decimal(value: Any) -> Decimal | None:
    """A number as Decimal (also numeric strings); None if it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str) and _NUMBER.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def to_temporal(value: Any) -> date | datetime | None:
    """A date or aware datetime (naive means UTC), also from ISO strings; else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE.match(text):
                return date.fromisoformat(text)
            if _DATETIME.match(text):
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def as_comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    """Bring two values to a common kind: numbers, then dates, then case-folded text."""
    left_n, right_n = to_decimal(actual), to_decimal(expected)
    if left_n is not None and right_n is not None:
        return left_n, right_n
    left_t, right_t = to_temporal(actual), to_temporal(expected)
    if left_t is not None and right_t is not None:
        if isinstance(left_t, datetime) != isinstance(right_t, datetime):
            left_t = left_t.date() if isinstance(left_t, datetime) else left_t
            right_t = right_t.date() if isinstance(right_t, datetime) else right_t
        return left_t, right_t
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.casefold(), expected.casefold()
    return actual, expected


def loose_equal(actual: Any, expected: Any) -> bool:
    """Equality of what the values mean: 5000 == "5000.0", "WhatsApp" == "whatsapp"."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return _truth(actual) == _truth(expected)
    left, right = as_comparable(actual, expected)
    try:
        return bool(left == right)
    except TypeError:
        return False


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().casefold()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
    if isinstance(value, int):
        return bool(value)
    return None


_PLAIN = frozenset({str, int, float, bool, type(None)})


def json_safe(value: Any) -> Any:
    """A JSON-serializable copy (Decimal and dates become strings)."""
    if type(value) in _PLAIN:  # most values are: answered before any isinstance
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return value
