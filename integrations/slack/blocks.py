"""Block Kit for conversations: thread header, assignment DM, lists, the tag modal.

Run logs and workflow lists are in :mod:`integrations.slack.logview`.
"""

from __future__ import annotations

from typing import Any

from integrations.slack.mrkdwn import (
    Block,
    button,
    capped,
    context,
    escape,
    fields,
    mention,
    plain,
    section,
    url_button,
)
from integrations.slack.ports import ConversationSummary


class Actions:
    """``action_id`` / ``callback_id`` values the interactive handlers listen for."""

    CLAIM = "relay_claim"
    ASSIGN = "relay_assign"
    UNASSIGN = "relay_unassign"
    CLOSE = "relay_close"
    REOPEN = "relay_reopen"
    TAG = "relay_tag"
    OPEN_THREAD = "relay_open_thread"
    WORKFLOW_ENABLE = "relay_wf_enable"
    WORKFLOW_DISABLE = "relay_wf_disable"
    TAG_MODAL = "relay_tag_modal"
    TAG_INPUT_BLOCK = "tag"
    TAG_INPUT = "tag_value"
    APPROVE = "relay_approve"
    REJECT = "relay_reject"


STATUS_ICONS = {
    "open": ":large_green_circle:",
    "pending": ":hourglass:",
    "closed": ":white_check_mark:",
}


def conversation_title(c: ConversationSummary) -> str:
    """One line naming a conversation: used as notification text and in lists."""
    return f"#{c.id} · {c.customer_name} on {c.channel}"


def _status(c: ConversationSummary) -> str:
    return f"{STATUS_ICONS.get(c.status, '')} {c.status}".strip()


def _lead(c: ConversationSummary) -> str:
    if not c.lead_name and not c.lead_stage:
        return "—"
    name = escape(c.lead_name or "lead")
    return f"{name} ({escape(c.lead_stage)})" if c.lead_stage else name


def _tags(c: ConversationSummary) -> str:
    return " ".join(f"`{escape(t)}`" for t in c.tags) or "—"


def summary_fields(c: ConversationSummary) -> Block:
    return fields(
        ("Status", _status(c)),
        ("Assignee", mention(c.assignee_slack_id, c.assignee_name)),
        ("Tags", _tags(c)),
        ("Lead", _lead(c)),
    )


def header_text(c: ConversationSummary) -> str:
    """Notification / fallback text of the header message."""
    return f"{conversation_title(c)} ({c.status})"


def conversation_header(c: ConversationSummary) -> list[Block]:
    """The thread's first message: who, where, state, and the buttons to act on it."""
    head = f"*{escape(c.customer_name)}* on *{escape(c.channel)}* · conversation `{escape(c.id)}`"
    blocks: list[Block] = [section(head), summary_fields(c)]
    if c.last_message:
        blocks.append(context(f"Last message: {escape(c.last_message)[:200]}"))
    blocks.append({"type": "actions", "block_id": f"conv:{c.id}", "elements": _header_buttons(c)})
    return blocks


def _header_buttons(c: ConversationSummary) -> list[Block]:
    if c.status == "closed":
        return [button("Reopen", Actions.REOPEN, c.id)]
    elements: list[Block] = []
    if c.assignee_slack_id is None and c.assignee_name is None:
        elements.append(button("Claim", Actions.CLAIM, c.id, "primary"))
    picker: Block = {
        "type": "users_select",
        "action_id": Actions.ASSIGN,
        "placeholder": plain("Assign to…"),
    }
    if c.assignee_slack_id:
        picker["initial_user"] = c.assignee_slack_id
    elements.append(picker)
    elements.append(button("Tag", Actions.TAG, c.id))
    elements.append(button("Close", Actions.CLOSE, c.id, "danger"))
    return elements


def assignment_dm(c: ConversationSummary, thread_url: str | None) -> list[Block]:
    """The DM an agent gets when a conversation becomes theirs."""
    blocks: list[Block] = [
        section(f":incoming_envelope: You were assigned *{escape(conversation_title(c))}*"),
        summary_fields(c),
    ]
    if c.last_message:
        blocks.append(section(f"> {escape(c.last_message)[:500]}"))
    elements: list[Block] = []
    if thread_url:
        elements.append(url_button("Open thread", Actions.OPEN_THREAD, thread_url))
    elements.append(button("Unassign", Actions.UNASSIGN, c.id))
    blocks.append({"type": "actions", "block_id": f"dm:{c.id}", "elements": elements})
    return blocks


def conversation_list(
    title: str, items: list[ConversationSummary], *, claimable: bool
) -> list[Block]:
    """``/relay mine`` and ``/relay queue``: one line per conversation."""
    if not items:
        return [section(f"*{escape(title)}*\nNothing here.")]
    blocks: list[Block] = [section(f"*{escape(title)}* ({len(items)})")]
    for c in items:
        line = f"`{escape(c.id)}` *{escape(c.customer_name)}* on {escape(c.channel)} · {_status(c)}"
        if c.tags:
            line += f" · {_tags(c)}"
        if c.last_message:
            line += f"\n_{escape(c.last_message)[:120]}_"
        extra: dict[str, Any] = {}
        if claimable:
            extra["accessory"] = button("Claim", Actions.CLAIM, c.id, "primary")
        blocks.append(section(line, **extra))
    return capped(blocks)


def tag_modal(conversation_id: str) -> dict[str, Any]:
    """The view ``views.open`` shows when Tag is pressed."""
    return {
        "type": "modal",
        "callback_id": Actions.TAG_MODAL,
        "private_metadata": conversation_id,
        "title": plain("Tag conversation", 24),
        "submit": plain("Add tag", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": Actions.TAG_INPUT_BLOCK,
                "label": plain("Tag"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": Actions.TAG_INPUT,
                    "max_length": 64,
                    "placeholder": plain("e.g. VIP"),
                },
            }
        ],
    }


def mirrored(sender: str, text: str) -> str:
    """A customer or bot message as it appears in the thread."""
    return f"*{escape(sender)}:* {escape(text)}"


def offer_dm(c: ConversationSummary, thread_url: str | None) -> list[Block]:
    """The DM an agent gets when a workflow offers them a conversation (assign_to with a timeout)."""
    blocks: list[Block] = [
        section(f":raised_hand: *{escape(conversation_title(c))}* is offered to you"),
        summary_fields(c),
    ]
    if c.last_message:
        blocks.append(section(f"> {escape(c.last_message)[:500]}"))
    elements: list[Block] = [button("Claim", Actions.CLAIM, c.id, "primary")]
    if thread_url:
        elements.append(url_button("Open thread", Actions.OPEN_THREAD, thread_url))
    blocks.append({"type": "actions", "block_id": f"offer:{c.id}", "elements": elements})
    return blocks
