"""The JSON shapes of an inbox list row and a transcript message: what the live socket
and ``GET /api/inbox`` send, and what the pages draw (the page's script draws the same)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.contact_names import display_name
from bot.storage.app.conversation_queries import MessageView
from bot.storage.app.inbox_queries import InboxRow

PREVIEW_CHARS = 120


@dataclass(frozen=True)
class _Named:
    id: int
    name: str | None
    email: str | None
    phone: str | None


def contact_name(row: InboxRow) -> str:
    """The customer's name as everywhere else (never a raw channel id)."""
    return display_name(
        _Named(row.contact_id, row.contact_name, row.contact_email, row.contact_phone)
    )


def _preview(row: InboxRow) -> str:
    if row.preview is None:
        return ""
    text = (row.preview.text or row.preview.payload or "").strip().replace("\n", " ")
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1] + "…"
    if row.preview.direction == "in":
        return text
    return ("Agent: " if row.preview.sender_kind == "agent" else "Bot: ") + text


def row_data(row: InboxRow) -> dict[str, Any]:
    """A list row as JSON (the live socket and ``GET /api/inbox``)."""
    return {
        "id": row.id,
        "contact": contact_name(row),
        "channel": row.channel,
        "status": row.status,
        "assignee_id": row.assignee_id,
        "assignee": row.assignee_name,
        "team_id": row.team_id,
        "team": row.team_name,
        "tags": list(row.tags),
        "preview": _preview(row),
        "last_activity_at": row.last_activity_at.isoformat(),
    }


def author(message: MessageView, agents: Mapping[int, str]) -> str:
    """Who wrote ``message``, in words (never by colour alone)."""
    name = agents.get(message.agent_id) if message.agent_id is not None else None
    if message.direction == "note":
        return f"Internal note · {name}" if name else "Internal note"
    if message.direction == "in":
        return "Customer"
    if message.sender_kind == "agent":
        return f"Agent · {name}" if name else "Agent"
    return "System" if message.sender_kind == "system" else "Bot"


def message_kind(message: MessageView) -> str:
    """``customer``, ``bot``, ``agent``, ``system`` or ``note``: the message's CSS class."""
    if message.direction == "note":
        return "note"
    if message.direction == "in":
        return "customer"
    return message.sender_kind if message.sender_kind in ("agent", "system") else "bot"


def message_data(message: MessageView, agents: Mapping[int, str]) -> dict[str, Any]:
    """A transcript message as JSON (the live socket)."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "kind": message_kind(message),
        "author": author(message, agents),
        "text": message.text or message.payload or "",
        "status": message.delivery_status if message.direction == "out" else None,
        "created_at": message.created_at.isoformat(),
    }
