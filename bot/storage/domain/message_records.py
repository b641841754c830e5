"""Stored messages as the Slack console and the widget read them: plain values out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Agent, Conversation, Message
from bot.storage.uow import Tx


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


@dataclass(frozen=True, slots=True)
class MessageText:
    """What is needed to show a message's text: a pressed button is shown by its label."""

    id: int
    conversation_id: int
    kind: str
    text: str | None
    payload: str | None


async def latest_messages(
    db: Database, channel: str, external_id: str, limit: int
) -> list[StoredMessage]:
    """The newest ``limit`` messages of the latest conversation with the chat
    ``external_id`` on ``channel``, oldest first."""
    async with db.session() as session:
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
                .where(
                    Message.conversation_id == conversation_id,
                    Message.direction.in_(("in", "out")),  # not agents' internal notes
                )
                .order_by(Message.id.desc())
                .limit(limit)
            )
        ).all()
    return [_stored(message, agent_name) for message, agent_name in reversed(rows)]


async def message_sender(db: Database, message_id: int) -> Sender | None:
    """Who wrote the stored message ``message_id``; None when there is none."""
    async with db.session() as session:
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


async def newest_inbound(tx: Tx, conversation_id: int) -> MessageText | None:
    """The conversation's newest message from the customer."""
    newest = await tx.session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    if newest is None:
        return None
    return MessageText(newest.id, newest.conversation_id, newest.kind, newest.text, newest.payload)


async def outbound_extras_before(
    tx: Tx, conversation_id: int, before_id: int, limit: int
) -> list[dict[str, Any]]:
    """The ``extra`` of the conversation's newest ``limit`` outbound messages before
    ``before_id``, newest first (``{}`` for none)."""
    offered = await tx.session.scalars(
        select(Message.extra)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.id < before_id,
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [extra or {} for extra in offered]


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
