"""Approval requests and decisions in Block Kit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from integrations.slack.approval_blocks import (
    approval_decided,
    approval_request,
    button_value,
    decided_text,
    parse_button_value,
    request_text,
)
from integrations.slack.blocks import Actions
from integrations.slack.ports import ConversationSummary

PAYLOAD: dict[str, Any] = {
    "run_id": 7,
    "key": "relaybot-7:refund:4:action",
    "summary": "refund 120.00 USD of pi_<1>",
    "details": {"Payment": "pi_<1>", "Amount": "120.00 USD"},
    "conversation_id": 3,
    "workflow": "refund",
    "due_at": "2026-01-05T09:30:00+00:00",
}
CONVERSATION = ConversationSummary("3", "telegram", "Jane Doe")


def test_button_value_round_trips() -> None:
    assert parse_button_value(button_value(7, "k:1")) == (7, "k:1")


@pytest.mark.parametrize("value", ["", "42", '{"run": "x", "key": "k"}', '{"key": "k"}'])
def test_foreign_button_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="approval"):
        parse_button_value(value)


def test_request_has_the_facts_the_deadline_and_both_buttons() -> None:
    blocks = approval_request(PAYLOAD, CONVERSATION, "https://slack.test/thread")
    text = json.dumps(blocks, ensure_ascii=False)
    assert request_text(PAYLOAD) == "Approval needed: refund 120.00 USD of pi_<1>"
    assert "pi_&lt;1&gt;" in text and "pi_<1>" not in text
    assert "#3 · Jane Doe on telegram" in text
    assert "<!date^1767605400^" in text
    assert "<https://slack.test/thread|Open the conversation>" in text
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [Actions.APPROVE, Actions.REJECT]
    assert {parse_button_value(e["value"]) for e in actions["elements"]} == {
        (7, "relaybot-7:refund:4:action")
    }


@pytest.mark.parametrize(
    ("outcome", "by", "reason", "line"),
    [
        ("approved", "UANA", "approved by Ana", "Approved by <@UANA>"),
        ("rejected", "UANA", "rejected by Ana", "Rejected by <@UANA>"),
        ("expired", None, "no approval in time", "Nobody decided in time"),
        ("unavailable", None, "could not be posted", "Declined: could not be posted"),
    ],
)
def test_decision_replaces_the_buttons(
    outcome: str, by: str | None, reason: str, line: str
) -> None:
    payload = {**PAYLOAD, "outcome": outcome, "by": by, "reason": reason}
    blocks = approval_decided(payload, None)
    text = json.dumps(blocks, ensure_ascii=False)
    assert line in text
    assert Actions.APPROVE not in text
    assert decided_text(payload).endswith(": refund 120.00 USD of pi_<1>")
