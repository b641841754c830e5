"""Holds on action calls: what an action may ask for, answers, grants (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.holds import (
    DEFAULT_TIMEOUT_S,
    Requested,
    declined,
    grant,
    new_hold,
    question_text,
    requested,
    yes_or_no,
)
from workflows.inputs import CallResult

PENDING: dict[str, Any] = {
    "kind": "confirmation",
    "context_key": "refund_confirmation",
    "summary": "refund 12.50 USD of pi_1",
    "idempotency_key": "relaybot-1:r:3:action",
    "amount": "12.50",
}


def hold_of(pending: dict[str, Any]) -> Any:
    asked = requested(CallResult(outcome="declined", data={"pending": pending}))
    assert asked is not None
    return new_hold(asked, pending, key="k", token="t", due_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_a_declined_result_with_pending_asks_for_a_hold() -> None:
    asked = requested(CallResult(outcome="declined", data={"pending": PENDING}))
    assert asked == Requested(
        kind="confirmation", context_key="refund_confirmation", summary="refund 12.50 USD of pi_1"
    )
    assert asked.timeout_s == DEFAULT_TIMEOUT_S


@pytest.mark.parametrize(
    "result",
    [
        CallResult(outcome="success", data={"pending": PENDING}),
        CallResult(outcome="declined"),
        CallResult(outcome="declined", data={"pending": "yes"}),
        CallResult(outcome="declined", data={"pending": {**PENDING, "kind": "prayer"}}),
        CallResult(outcome="declined", data={"pending": {**PENDING, "timeout_s": 0}}),
    ],
)
def test_anything_else_is_a_plain_result(result: CallResult) -> None:
    assert requested(result) is None


def test_the_grant_is_the_pending_item_granted_by_someone() -> None:
    record = grant(hold_of(PENDING), by="customer")
    assert record == {**PENDING, "granted": True, "by": "customer"}


def test_question_defaults_to_the_summary() -> None:
    assert question_text(hold_of(PENDING)) == "Refund 12.50 USD of pi_1?"
    assert question_text(hold_of({**PENDING, "question": "Go ahead?"})) == "Go ahead?"


@pytest.mark.parametrize(
    ("text", "payload", "expected"),
    [("Yes!", None, True), (None, "no", False), ("nope", None, False), ("maybe", None, None)],
)
def test_yes_or_no(text: str | None, payload: str | None, expected: bool | None) -> None:
    assert yes_or_no(text, payload) is expected


def test_declined_says_which_safeguard_and_why() -> None:
    result = declined("approval", "refund 1 of pi", "rejected", "rejected by Ana", by="U1")
    assert result.outcome == "declined"
    assert result.reason == "rejected by Ana"
    assert result.data == {
        "safeguard": "approval",
        "decision": "rejected",
        "by": "U1",
        "summary": "refund 1 of pi",
    }
