"""What the widget reads of stored messages: a visitor's conversation and who wrote a message."""

from __future__ import annotations

from typing import Any

from bot.domain.stored_messages import StoredMessage, StoredMessages
from channels.widget.service import CHANNEL


class WidgetStore:
    """The widget's view of stored messages (visitor id = the conversation's external id)."""

    def __init__(self, messages: StoredMessages, limit: int = 200) -> None:
        self._messages = messages
        self._limit = limit

    async def history(self, visitor_id: str) -> list[dict[str, Any]]:
        """The visitor's latest conversation, oldest message first (the newest ``limit``)."""
        return [_entry(m) for m in await self._messages.latest(CHANNEL, visitor_id, self._limit)]

    async def sender(self, message_id: int) -> dict[str, Any] | None:
        """``sender_kind`` and, for an agent, ``sender_name`` of a stored message."""
        sender = await self._messages.sender(message_id)
        if sender is None:
            return None
        return {"sender_kind": sender.kind, "sender_name": sender.name}


def _entry(message: StoredMessage) -> dict[str, Any]:
    media = message.media
    return {
        "id": message.id,
        "direction": message.direction,
        "sender_kind": message.sender.kind,
        "sender_name": message.sender.name,
        "text": message.text or "",
        "choices": message.extra.get("choices", []),
        "input_type": message.extra.get("input_type"),
        "media_url": media[0].get("url") if media else None,
        "created_at": message.created_at,
        "external_message_id": message.external_id if message.direction == "in" else None,
    }
