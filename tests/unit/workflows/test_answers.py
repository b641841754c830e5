from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from workflows.answers import Validation, check_answer
from workflows.message_parts import Choice

CHOICES = [Choice(label="Billing", value="billing"), Choice(label="Shipping", value="ship")]


@pytest.mark.parametrize(
    ("answer_type", "text", "value"),
    [
        ("text", "  hi there ", "hi there"),
        ("number", "42", 42),
        ("number", "3,5", 3.5),
        ("number", "1 000", 1000),
        ("email", "ada@example.com", "ada@example.com"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("date", "2026-03-01", "2026-03-01"),
        ("date", "01/03/2026", "2026-03-01"),
        ("choice", "Shipping", "ship"),
        ("choice", "1", "billing"),
        ("yes_no", "Y", True),
        ("yes_no", "0", False),
        ("url", "example.com/x", "https://example.com/x"),
        ("url", "http://shop.example.org", "http://shop.example.org"),
        ("rating", "4", 4),
        ("rating", "⭐⭐⭐", 3),
    ],
)
def test_accepts(answer_type: Any, text: str, value: Any) -> None:
    checked = check_answer(answer_type, text, None, CHOICES, None)
    assert checked.ok, checked.reason
    assert checked.value == value


@pytest.mark.parametrize(
    ("answer_type", "text"),
    [
        ("number", "twelve"),
        ("email", "ada@"),
        ("phone", "12"),
        ("phone", "+1 000 000 0000"),
        ("date", "31/02/2026"),
        ("choice", "3"),
        ("choice", "Refunds"),
        ("yes_no", "maybe"),
        ("url", "not a url"),
        ("rating", "6"),
        ("rating", "4.5"),
        ("text", "   "),
    ],
)
def test_refuses(answer_type: Any, text: str) -> None:
    checked = check_answer(answer_type, text, None, CHOICES, None)
    assert not checked.ok
    assert checked.reason


def test_number_bounds() -> None:
    rules = Validation(min=Decimal(10), max=Decimal(20))
    assert check_answer("number", "15", None, [], rules).ok
    assert check_answer("number", "9", None, [], rules).reason == "less than 10"
    assert check_answer("number", "21", None, [], rules).reason == "more than 20"


def test_date_bounds() -> None:
    rules = Validation(min=date(2026, 1, 1))
    assert not check_answer("date", "2025-12-31", None, [], rules).ok
    assert check_answer("date", "2026-01-01", None, [], rules).ok


def test_length_and_pattern() -> None:
    rules = Validation(min_length=3, max_length=5, pattern=r"[A-Z]+")
    assert check_answer("text", "ABCD", None, [], rules).ok
    assert "shorter" in (check_answer("text", "AB", None, [], rules).reason or "")
    assert "longer" in (check_answer("text", "ABCDEF", None, [], rules).reason or "")
    assert "pattern" in (check_answer("text", "abcd", None, [], rules).reason or "")


def test_phone_with_default_region() -> None:
    checked = check_answer("phone", "(415) 555-2671", None, [], Validation(region="US"))
    assert checked.value == "+14155552671"


def test_rating_respects_custom_scale() -> None:
    rules = Validation(min=Decimal(0), max=Decimal(10))
    assert check_answer("rating", "9", None, [], rules).value == 9


def test_button_payload_wins_for_yes_no() -> None:
    assert check_answer("yes_no", "Sure thing!", "yes", [], None).value is True


def test_bad_pattern_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="bad regular expression"):
        Validation(pattern="[a")
