"""Block Kit rendering: the header carries every field; logs show what was compared."""

from __future__ import annotations

import json

from integrations.slack.blocks import Actions, assignment_dm, conversation_header, conversation_list
from integrations.slack.logview import run_log, workflow_list
from integrations.slack.mrkdwn import MAX_BLOCKS, capped, section
from integrations.slack.ports import (
    ConditionCheck,
    ConversationSummary,
    RunLogView,
    StepLog,
    WorkflowSummary,
)

CONVERSATION = ConversationSummary(
    "42",
    "whatsapp",
    "Jane <Doe>",
    status="open",
    assignee_name="Ana",
    assignee_slack_id="UANA",
    tags=("VIP", "billing"),
    lead_name="Acme deal",
    lead_stage="qualified",
    last_message="Where is my refund?",
)


def test_header_contains_every_field_and_buttons() -> None:
    blocks = conversation_header(CONVERSATION)
    text = json.dumps(blocks)
    for expected in (
        "Jane &lt;Doe&gt;",
        "whatsapp",
        "`VIP`",
        "`billing`",
        "Acme deal (qualified)",
        "open",
        "<@UANA>",
    ):
        assert expected in text
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert actions["block_id"] == "conv:42"
    ids = [e["action_id"] for e in actions["elements"]]
    assert ids == [Actions.ASSIGN, Actions.TAG, Actions.CLOSE]  # already assigned: no Claim
    assert actions["elements"][0]["initial_user"] == "UANA"


def test_unassigned_header_offers_claim_and_closed_offers_reopen() -> None:
    open_one = ConversationSummary("1", "telegram", "Bob")
    ids = [e["action_id"] for e in conversation_header(open_one)[-1]["elements"]]
    assert ids[0] == Actions.CLAIM
    assert "_nobody_" in json.dumps(conversation_header(open_one))
    closed = ConversationSummary("1", "telegram", "Bob", status="closed")
    assert [e["action_id"] for e in conversation_header(closed)[-1]["elements"]] == [Actions.REOPEN]


def test_assignment_dm_links_to_thread() -> None:
    blocks = assignment_dm(CONVERSATION, "https://x.slack.com/archives/C/p1")
    buttons = blocks[-1]["elements"]
    assert buttons[0]["url"] == "https://x.slack.com/archives/C/p1"
    assert buttons[1] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Unassign", "emoji": True},
        "action_id": Actions.UNASSIGN,
        "value": "42",
    }
    assert "url" not in json.dumps(assignment_dm(CONVERSATION, None)[-1])


def test_run_log_is_readable() -> None:
    run = RunLogView(
        "r-9",
        "qualified-vip-lead",
        "failed",
        "lead.stage_changed",
        conversation_id="42",
        conditions=(
            ConditionCheck("lead.expected_amount", "gt", 5000, 7200, True),
            ConditionCheck("contact.country", "in", ["DE", "FR"], "US", False),
        ),
        steps=(
            StepLog("tag", "add_tag", exit=None, duration_ms=3.2),
            StepLog("hook", "send_webhook", exit="failure", duration_ms=812, error="HTTP 500"),
        ),
        errors=("send_webhook failed: HTTP 500",),
    )
    text = json.dumps(run_log(run))
    for expected in (
        "qualified-vip-lead",
        "lead.stage_changed",
        "`lead.expected_amount` gt `5000`",
        "actual `7200`",
        '`[\\"DE\\", \\"FR\\"]`',
        "actual `US`",
        ":x:",
        "send_webhook \\u2192 failure (812 ms)",
        "HTTP 500",
        "*Errors*",
    ):
        assert expected in text, expected


def test_workflow_list_buttons_for_admin_only() -> None:
    items = [
        WorkflowSummary("a", True, "message.received"),
        WorkflowSummary("b", False, "tag.added"),
    ]
    admin = workflow_list(items, admin=True)
    assert [b["accessory"]["action_id"] for b in admin[1:]] == [
        Actions.WORKFLOW_DISABLE,
        Actions.WORKFLOW_ENABLE,
    ]
    assert all("accessory" not in b for b in workflow_list(items, admin=False))


def test_lists_are_capped_to_slack_limits() -> None:
    many = [ConversationSummary(str(i), "telegram", f"C{i}") for i in range(80)]
    assert len(conversation_list("Queue", many, claimable=True)) == MAX_BLOCKS
    assert len(capped([section("x")] * 60)) == MAX_BLOCKS
    assert len(section("y" * 5000)["text"]["text"]) == 3000
