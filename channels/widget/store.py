"""What the widget reads from storage: a visitor's conversation and who wrote a message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.models import Agent, Conversation, Message
from channels.widget.service import CHANNEL


class WidgetStore:
    """Read-only queries for the widget (visitor id = the conversation's external id)."""

    def __init__(self, db: Database, limit: int = 200) -> None:
        self._db = db
        self._limit = limit

    async def history(self, visitor_id: str) -> list[dict[str, Any]]:
        """The visitor's latest conversation, oldest message first (the newest ``limit``)."""
        async with self._db.session() as session:
            conversation_id = await session.scalar(
                select(Conversation.id)
                .where(Conversation.channel == CHANNEL, Conversation.external_id == visitor_id)
                .order_by(Conversation.id.desc())
                .limit(1)
            )
            if conversation_id is None:
                return []
            rows = (
                await session.execute(
                    select(Message, Agent.name)
                    .outerjoin(Agent, Message.agent_id == Agent.id)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.id.desc())
                    .limit(self._limit)
                )
            ).all()
        return [_entry(message, agent_name) for message, agent_name in reversed(rows)]

    async def sender(self, message_id: int) -> dict[str, Any] | None:
        """``sender_kind`` and, for an agent, ``sender_name`` of a stored message."""
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(Message.sender_kind, Agent.name)
                    .outerjoin(Agent, Message.agent_id == Agent.id)
                    .where(Message.id == message_id)
                )
            ).first()
        if row is None:
            return None
        kind, agent_name = row
        return {"sender_kind": kind, "sender_name": agent_name if kind == "agent" else None}


def _entry(message: Message, agent_name: str | None) -> dict[str, Any]:
    extra = message.extra or {}
    media = message.media or []
    return {
        "id": message.id,
        "direction": message.direction,
        "sender_kind": message.sender_kind,
        "sender_name": agent_name if message.sender_kind == "agent" else None,
        "text": message.text or "",
        "choices": extra.get("choices", []),
        "input_type": extra.get("input_type"),
        "media_url": media[0].get("url") if media else None,
        "created_at": message.created_at,
        "external_message_id": message.external_id if message.direction == "in" else None,
    }
