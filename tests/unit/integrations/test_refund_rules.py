"""Money conversion and refund safeguards (no network)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.core.config import Settings
from integrations.money import InvalidAmount, format_money, parse_amount, to_major, to_minor
from integrations.refund_safeguards import (
    approval_threshold,
    grant,
    needs_approval,
    parse_refund_inputs,
    pending_of,
    pending_result,
    pending_safeguard,
)
from workflows.actions import ActionContext, ActionResult


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def ctx(**context: Any) -> ActionContext:
    return ActionContext(run_id=1, step_id="r", idempotency_key="1:r", context=context)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.5", "usd", 1250), ("1000", "JPY", 1000), ("1.234", "kwd", 1234), ("0.01", "eur", 1)],
)
def test_to_minor_and_back(amount: str, currency: str, minor: int) -> None:
    assert to_minor(parse_amount(amount), currency) == minor
    assert to_major(minor, currency) == Decimal(amount)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "NaN", "Infinity", None])
def test_bad_amounts(value: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(value)


def test_precision_is_enforced_and_formatting() -> None:
    with pytest.raises(InvalidAmount, match="USD"):
        to_minor(Decimal("1.005"), "usd")
    assert format_money(Decimal("5"), "usd") == "5.00 USD"


def test_threshold_is_the_lower_limit() -> None:
    s = settings(RELAYBOT_REFUND_APPROVAL_ABOVE="100")
    request = parse_refund_inputs({"charge": "ch", "amount": 60, "require_approval_above": 50}, s)
    assert approval_threshold(request, s) == Decimal(50)
    assert needs_approval(request, s)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"charge": "ch", "amount": "100"}, False),
        ({"charge": "ch", "amount": "100.01"}, True),
        ({"charge": "ch"}, True),  # full refund: amount unknown, ask
        ({"charge": "ch", "amount": "5", "currency": "eur"}, True),  # not comparable
    ],
)
def test_needs_approval(inputs: dict[str, Any], expected: bool) -> None:
    s = settings(RELAYBOT_REFUND_APPROVAL_ABOVE="100")
    assert needs_approval(parse_refund_inputs(inputs, s), s) is expected


def test_no_threshold_no_approval() -> None:
    s = settings()
    assert not needs_approval(parse_refund_inputs({"charge": "ch"}, s), s)


def test_zero_step_threshold_always_asks() -> None:
    s = settings()
    assert needs_approval(
        parse_refund_inputs({"charge": "ch", "amount": 1, "require_approval_above": 0}, s), s
    )


def test_a_grant_only_clears_the_same_step_and_amount() -> None:
    s = settings(RELAYBOT_REFUND_APPROVAL_ABOVE="10")
    request = parse_refund_inputs({"charge": "ch", "amount": "50"}, s)
    pending = pending_safeguard(request, s, ctx())
    assert pending is not None
    record = grant(pending, by="U1")
    assert pending_safeguard(request, s, ctx(refund_approval=record)) is None
    bigger = parse_refund_inputs({"charge": "ch", "amount": "500"}, s)
    assert pending_safeguard(bigger, s, ctx(refund_approval=record)) is not None
    other_step = ActionContext(
        run_id=1, step_id="x", idempotency_key="1:x", context={"refund_approval": record}
    )
    assert pending_safeguard(request, s, other_step) is not None
    assert (
        pending_safeguard(request, s, ctx(refund_approval={**record, "granted": "yes"})) is not None
    )


def test_pending_round_trips_through_the_result() -> None:
    s = settings()
    request = parse_refund_inputs({"payment_intent": "pi", "confirm_with_customer": True}, s)
    pending = pending_safeguard(request, s, ctx())
    assert pending is not None
    result = pending_result(pending)
    assert result.outcome == "declined"
    assert result.reason == "refund the full amount of pi needs the customer's confirmation"
    assert pending_of(result) == pending
    assert pending_of(ActionResult(outcome="declined")) is None


def test_the_runners_grant_clears_the_same_safeguard() -> None:
    """bot.domain.holds builds grants from the pending mapping; the refund accepts them."""
    from datetime import UTC, datetime

    from bot.domain.holds import grant as runner_grant
    from bot.domain.holds import new_hold, requested
    from workflows.inputs import CallResult

    s = settings(RELAYBOT_REFUND_APPROVAL_ABOVE="10")
    request = parse_refund_inputs({"charge": "ch", "amount": "50"}, s)
    pending = pending_safeguard(request, s, ctx())
    assert pending is not None
    result = pending_result(pending)
    asked = requested(CallResult(outcome="declined", data=result.data))
    assert asked is not None
    hold = new_hold(
        asked, result.data["pending"], key="1:r", token="t", due_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    record = runner_grant(hold, by="U1")
    assert pending_safeguard(request, s, ctx(refund_approval=record)) is None


def test_timeouts_details_and_question_come_with_the_pending_item() -> None:
    s = settings(
        RELAYBOT_REFUND_APPROVAL_ABOVE="100",
        RELAYBOT_REFUND_CONFIRM_TIMEOUT="600",
        RELAYBOT_REFUND_APPROVAL_TIMEOUT="900",
    )
    inputs = {
        "payment_intent": "pi_1",
        "amount": "250",
        "reason": "duplicate",
        "confirm_with_customer": "true",
        "confirm_question": "Shall we refund 250?",
    }
    request = parse_refund_inputs(inputs, s)
    first = pending_safeguard(request, s, ctx())
    assert first is not None
    assert (first.kind, first.timeout_s, first.question) == (
        "confirmation",
        600,
        "Shall we refund 250?",
    )
    second = pending_safeguard(request, s, ctx(refund_confirmation=grant(first, by="customer")))
    assert second is not None
    assert (second.kind, second.timeout_s, second.question) == ("approval", 900, None)
    assert second.details == {
        "Payment": "pi_1",
        "Amount": "250.00 USD",
        "Approval above": "100.00 USD",
        "Reason": "duplicate",
    }


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("false", False), ("yes", True), (0, False)]
)
def test_confirm_with_customer_flag(value: object, expected: bool) -> None:
    request = parse_refund_inputs({"charge": "ch", "confirm_with_customer": value}, settings())
    assert request.confirm_with_customer is expected


def test_unknown_confirm_flag_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="confirm_with_customer"):
        parse_refund_inputs({"charge": "ch", "confirm_with_customer": "perhaps"}, settings())
