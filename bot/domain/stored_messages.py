"""Stored messages as plain values: a chat's latest messages and who wrote one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Agent, Conversation, Message


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote a message: its ``sender_kind`` and, for an agent, the agent's name."""

    kind: str
    name: str | None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One stored message; ``sender`` names the agent of an agent's message."""

    id: int
    direction: str
    sender: Sender
    text: str | None
    extra: dict[str, Any]
    media: list[dict[str, Any]]
    created_at: datetime
    external_id: str | None


class StoredMessages:
    """Read-only queries over stored messages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def latest(self, channel: str, external_id: str, limit: int) -> list[StoredMessage]:
        """The newest ``limit`` messages of the latest conversation with the chat
        ``external_id`` on ``channel``, oldest first."""
        async with self._db.session() as session:
            conversation_id = await session.scalar(
                select(Conversation.id)
                .where(Conversation.channel == channel, Conversation.external_id == external_id)
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
                    .limit(limit)
                )
            ).all()
        return [_stored(message, agent_name) for message, agent_name in reversed(rows)]

    async def sender(self, message_id: int) -> Sender | None:
        """Who wrote the stored message ``message_id``; None when there is none."""
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
        return _sender(kind, agent_name)


def _sender(kind: str, agent_name: str | None) -> Sender:
    return Sender(kind, agent_name if kind == "agent" else None)


def _stored(message: Message, agent_name: str | None) -> StoredMessage:
    return StoredMessage(
        id=message.id,
        direction=message.direction,
        sender=_sender(message.sender_kind, agent_name),
        text=message.text,
        extra=message.extra or {},
        media=message.media or [],
        created_at=message.created_at,
        external_id=message.external_id,
    )
