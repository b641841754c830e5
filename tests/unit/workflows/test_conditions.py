from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from workflows.conditions import compare, evaluate
from workflows.rules import Group, Rule

from .helpers import context


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        ("eq", "whatsapp", "WhatsApp", True),
        ("eq", 5000, "5000.00", True),
        ("eq", "a", "b", False),
        ("eq", True, "yes", True),
        ("ne", "telegram", "whatsapp", True),
        ("ne", 3, 3.0, False),
        ("gt", 7500, 5000, True),
        ("gt", "10", 9, True),
        ("gt", "9", "10", False),
        ("gt", Decimal("5000.01"), 5000, True),
        ("gt", "2026-01-05T10:00:00Z", "2026-01-05T09:00:00+00:00", True),
        ("gt", "abc", 5, False),
        ("gte", 3, 3, True),
        ("gte", 2, 3, False),
        ("lt", date(2026, 1, 1), "2026-02-01", True),
        ("lt", datetime(2026, 1, 1, 12, tzinfo=UTC), "2026-01-01", False),
        ("lte", 3, 3, True),
        ("lte", 4, 3, False),
        ("contains", ["new", "VIP"], "vip", True),
        ("contains", ["new"], "VIP", False),
        ("contains", "Where is my ORDER?", "order", True),
        ("contains", [1, 2], "2", True),
        ("not_contains", ["new"], "VIP", True),
        ("not_contains", "refund please", "REFUND", False),
        ("in", "whatsapp", ["Telegram", "WhatsApp"], True),
        ("in", "widget", ["telegram"], False),
        ("in", ["a", "b"], ["b"], True),
        ("not_in", "widget", ["telegram"], True),
        ("not_in", 2, [1, 2], False),
        ("starts_with", "Order #1001", "order", True),
        ("starts_with", "my order", "order", False),
        ("ends_with", "ada@example.com", "@EXAMPLE.com", True),
        ("ends_with", "ada@example.org", ".com", False),
        ("matches", "order 1234", r"\d{4}", True),
        ("matches", "order", r"\d+", False),
        ("exists", "x", None, True),
        ("exists", "", True, True),
        ("exists", None, None, False),
        ("exists", None, False, True),
    ],
)
def test_operators(op: str, actual: Any, expected: Any, result: bool) -> None:
    assert compare(op, actual, expected) is result


def test_missing_values() -> None:
    ctx = context()
    for op, expected, result in [
        ("eq", "x", False),
        ("ne", "x", True),
        ("gt", 1, False),
        ("contains", "x", False),
        ("not_contains", "x", True),
        ("not_in", ["x"], True),
        ("exists", None, False),
        ("exists", False, True),
    ]:
        ok, _ = evaluate(Rule(field="contact.nickname", op=op, value=expected), ctx)
        assert ok is result, op


@pytest.mark.parametrize(
    ("rule", "holds"),
    [
        ({"field": "conversation.channel", "op": "eq", "value": "WhatsApp"}, True),
        ({"field": "conversation.tags", "op": "contains", "value": "VIP"}, False),
        ({"field": "lead.expected_amount", "op": "gt", "value": 5000}, True),
        ({"field": "conversation.message_count", "op": "gte", "value": 3}, True),
    ],
)
def test_seed_examples_are_expressible(rule: dict[str, Any], holds: bool) -> None:
    assert evaluate(Group.model_validate({"all": [rule]}), context())[0] is holds


def test_nested_groups_record_every_check() -> None:
    group = Group.model_validate(
        {
            "any": [
                {"field": "conversation.channel", "op": "eq", "value": "telegram"},
                {
                    "all": [
                        {"field": "lead.stage", "op": "eq", "value": "qualified"},
                        {"field": "vars.score", "op": "gte", "value": 10},
                    ]
                },
            ]
        }
    )
    ctx = context(vars={"score": "12"})
    result, checks = evaluate(group, ctx)
    assert result is True
    assert [(c.field, c.actual, c.result) for c in checks] == [
        ("conversation.channel", "whatsapp", False),
        ("lead.stage", "qualified", True),
        ("vars.score", "12", True),
    ]
    assert checks[0].to_log()["expected"] == "telegram"


def test_list_means_all_and_no_conditions_hold() -> None:
    assert Group.model_validate([{"field": "contact.name", "op": "exists"}]).mode == "all"
    assert evaluate(None, {}) == (True, [])


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"field": "customer.name", "op": "eq", "value": 1}, "unknown field"),
        ({"field": "contact.name", "op": "like", "value": 1}, "Input should be"),
        ({"field": "contact.name", "op": "in", "value": "x"}, "needs a list"),
        ({"field": "contact.name", "op": "matches", "value": "(x"}, "bad regular expression"),
    ],
)
def test_bad_rules_are_refused(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Rule.model_validate(rule)


def test_group_needs_exactly_one_mode() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        Group.model_validate({"all": [], "any": []})
