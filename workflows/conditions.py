"""Evaluate conditions over the run context, recording every comparison for the run log.

Values compare as what they are: numbers (and numeric strings) as Decimal, ISO dates and
datetimes as dates, lists by membership. Text comparisons ignore case; `matches` is a
regular expression search (use `(?i)` for case-insensitive patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflows.paths import MISSING, resolve
from workflows.rules import Group, Rule
from workflows.values import as_comparable, json_safe, loose_equal


@dataclass(frozen=True)
class Check:
    """One comparison made: for the run log."""

    field: str
    op: str
    expected: Any
    actual: Any
    result: bool

    def to_log(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "op": self.op,
            "expected": json_safe(self.expected),
            "actual": None if self.actual is MISSING else json_safe(self.actual),
            "result": self.result,
        }


def evaluate(conditions: Group | Rule | None, ctx: dict[str, Any]) -> tuple[bool, list[Check]]:
    """Whether ``conditions`` hold in ``ctx``, and every check made (no conditions: true)."""
    checks: list[Check] = []
    if conditions is None:
        return True, checks
    return _evaluate(conditions, ctx, checks), checks


def _evaluate(node: Group | Rule, ctx: dict[str, Any], checks: list[Check]) -> bool:
    if isinstance(node, Rule):
        actual = resolve(ctx, node.field)
        result = compare(node.op, actual, node.value)
        checks.append(Check(node.field, node.op, node.value, actual, result))
        return result
    # evaluate every member so the log shows all values, not just the first deciding one
    results = [_evaluate(member, ctx, checks) for member in node.members]
    return all(results) if node.mode == "all" else any(results)


def compare(op: str, actual: Any, expected: Any) -> bool:
    """Apply one operator. A missing value only satisfies ne, not_contains, not_in and
    `exists: false`."""
    if op == "exists":
        present = actual is not MISSING and actual is not None
        return present if expected is None else present is bool(expected)
    if actual is MISSING or actual is None:
        return op in ("ne", "not_contains", "not_in") and expected is not None
    handler = _OPERATORS[op]
    return handler(actual, expected)


def _order(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    left, right = as_comparable(actual, expected)
    try:
        left < right  # noqa: B015 - probe comparability
    except TypeError:
        return None
    return left, right


def _gt(a: Any, e: Any) -> bool:
    pair = _order(a, e)
    return pair is not None and pair[0] > pair[1]


def _gte(a: Any, e: Any) -> bool:
    pair = _order(a, e)
    return pair is not None and pair[0] >= pair[1]


def _lt(a: Any, e: Any) -> bool:
    pair = _order(a, e)
    return pair is not None and pair[0] < pair[1]


def _lte(a: Any, e: Any) -> bool:
    pair = _order(a, e)
    return pair is not None and pair[0] <= pair[1]


def _contains(a: Any, e: Any) -> bool:
    if isinstance(a, list | tuple | set | frozenset):
        return any(loose_equal(item, e) for item in a)
    if isinstance(a, dict):
        return any(loose_equal(key, e) for key in a)
    return str(e).casefold() in str(a).casefold()


def _in(a: Any, e: Any) -> bool:
    if not isinstance(e, list):
        return False
    if isinstance(a, list | tuple):
        return any(loose_equal(item, option) for item in a for option in e)
    return any(loose_equal(a, option) for option in e)


def _starts(a: Any, e: Any) -> bool:
    return str(a).casefold().startswith(str(e).casefold())


def _ends(a: Any, e: Any) -> bool:
    return str(a).casefold().endswith(str(e).casefold())


def _matches(a: Any, e: Any) -> bool:
    return re.search(str(e), str(a)) is not None


_OPERATORS = {
    "eq": loose_equal,
    "ne": lambda a, e: not loose_equal(a, e),
    "gt": _gt,
    "gte": _gte,
    "lt": _lt,
    "lte": _lte,
    "contains": _contains,
    "not_contains": lambda a, e: not _contains(a, e),
    "in": _in,
    "not_in": lambda a, e: not _in(a, e),
    "starts_with": _starts,
    "ends_with": _ends,
    "matches": _matches,
}
