"""The conversations and messages the admin API and the demo agent page read.

Each function takes the open transaction and hands out plain values: a
:class:`~bot.storage.domain.conversation_records.ConversationRow` or
:class:`MessageView` carries every column its readers show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.domain.conversation_records import ConversationRow, conversation_row
from bot.storage.models import Conversation, ConversationTag, Message, Tag
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class MessageView:
    """One stored message as a reader sees it."""

    id: int
    conversation_id: int
    direction: str
    sender_kind: str
    agent_id: int | None
    kind: str
    text: str | None
    payload: str | None
    media: list[dict[str, Any]]
    extra: dict[str, Any]
    delivery_status: str
    error_code: str | None
    created_at: datetime


def message_view(row: Message) -> MessageView:
    return MessageView(
        id=row.id,
        conversation_id=row.conversation_id,
        direction=row.direction,
        sender_kind=row.sender_kind,
        agent_id=row.agent_id,
        kind=row.kind,
        text=row.text,
        payload=row.payload,
        media=row.media,
        extra=row.extra or {},
        delivery_status=row.delivery_status,
        error_code=row.error_code,
        created_at=row.created_at,
    )


async def recent_conversations(
    tx: Tx,
    *,
    limit: int,
    status: str | None = None,
    channel: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    tag: str | None = None,
) -> list[ConversationRow]:
    """The most recently active conversations (at most ``limit``), narrowed by each filter
    given: status, channel, assignee, no assignee, a tag's name."""
    query = select(Conversation).order_by(Conversation.last_activity_at.desc()).limit(limit)
    if status is not None:
        query = query.where(Conversation.status == status)
    if channel is not None:
        query = query.where(Conversation.channel == channel)
    if assignee_id is not None:
        query = query.where(Conversation.assignee_id == assignee_id)
    if unassigned:
        query = query.where(Conversation.assignee_id.is_(None))
    if tag is not None:
        query = query.join(ConversationTag).join(Tag).where(Tag.name == tag)
    return [conversation_row(row) for row in await tx.session.scalars(query)]


async def find_conversation(tx: Tx, conversation_id: int) -> ConversationRow | None:
    """The conversation with this id, if any."""
    row = await tx.session.scalar(select(Conversation).where(Conversation.id == conversation_id))
    return conversation_row(row) if row is not None else None


async def conversation_messages(tx: Tx, conversation_id: int) -> list[MessageView]:
    """Every message of the conversation, oldest first."""
    rows = await tx.session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    )
    return [message_view(row) for row in rows]
