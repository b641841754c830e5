"""Block Kit for approval requests: the request with Approve / Reject, then the decision."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from integrations.slack.blocks import Actions, conversation_title
from integrations.slack.mrkdwn import Block, button, context, escape, fields, mention, section
from integrations.slack.ports import ConversationSummary

OUTCOMES = {
    "approved": (":white_check_mark:", "Approved"),
    "rejected": (":no_entry:", "Rejected"),
    "expired": (":hourglass:", "No decision in time"),
    "unavailable": (":warning:", "Could not be decided"),
}


def button_value(run_id: int, key: str) -> str:
    """What Approve and Reject carry: the run and the hold they decide."""
    return json.dumps({"run": run_id, "key": key}, separators=(",", ":"))


def parse_button_value(value: str) -> tuple[int, str]:
    """``(run_id, key)`` from a button value; ValueError when it is not ours."""
    try:
        data = json.loads(value)
        return int(data["run"]), str(data["key"])
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not an approval button value: {value!r}") from exc


def _facts(payload: dict[str, Any], conversation: ConversationSummary | None) -> Block:
    pairs = [(escape(label), escape(value)) for label, value in dict(payload["details"]).items()]
    if conversation is not None:
        pairs.append(("Conversation", escape(conversation_title(conversation))))
    pairs.append(("Workflow", f"`{escape(str(payload['workflow']))}`"))
    return fields(*pairs)


def _slack_date(iso: str) -> str:
    when = datetime.fromisoformat(iso)
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{escape(iso)}>"


def request_text(payload: dict[str, Any]) -> str:
    return f"Approval needed: {payload['summary']}"


def approval_request(
    payload: dict[str, Any], conversation: ConversationSummary | None, thread_url: str | None
) -> list[Block]:
    """The message agents act on."""
    value = button_value(int(payload["run_id"]), str(payload["key"]))
    notes = [f"Declined if nobody decides by {_slack_date(str(payload['due_at']))}"]
    if thread_url:
        notes.append(f"<{thread_url}|Open the conversation>")
    return [
        section(f":raised_hand: *Approval needed:* {escape(str(payload['summary']))}"),
        _facts(payload, conversation),
        context(*notes),
        {
            "type": "actions",
            "block_id": f"approval:{payload['run_id']}",
            "elements": [
                button("Approve", Actions.APPROVE, value, "primary"),
                button("Reject", Actions.REJECT, value, "danger"),
            ],
        },
    ]


def decided_text(payload: dict[str, Any]) -> str:
    _, label = OUTCOMES.get(str(payload["outcome"]), ("", "Decided"))
    return f"{label}: {payload['summary']}"


def approval_decided(
    payload: dict[str, Any], conversation: ConversationSummary | None
) -> list[Block]:
    """The request after the decision: no buttons, who decided and what happens."""
    icon, label = OUTCOMES.get(str(payload["outcome"]), (":grey_question:", "Decided"))
    outcome, by = str(payload["outcome"]), payload.get("by")
    if outcome in ("approved", "rejected") and by:
        line = f"{label} by {mention(str(by))}"
    elif outcome == "expired":
        line = "Nobody decided in time, so it was declined."
    else:
        line = f"Declined: {escape(str(payload.get('reason') or 'no reason given'))}"
    return [
        section(f"{icon} *{label}:* {escape(str(payload['summary']))}"),
        _facts(payload, conversation),
        context(line),
    ]
