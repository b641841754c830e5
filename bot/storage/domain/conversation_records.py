"""Conversations and their tags: the rows the conversation services read and change.

Each function takes the open transaction. Reads hand out :class:`ConversationRecord`;
changes are made on the session's own row (read before with :func:`conversation`, which
keeps it for the transaction), so a record read after them in the same transaction shows
them, and they are written at flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from bot.storage.models import Conversation, ConversationTag, Tag
from bot.storage.record_rows import keep
from bot.storage.sql import upsert_ignore
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A stored conversation, every column: what workflow contexts, replies, sending, the
    admin API and the demo pages read."""

    id: int
    contact_id: int
    channel: str
    external_id: str
    status: str
    assignee_id: int | None
    team_id: int | None
    message_count: int
    attributes: dict[str, Any]
    last_activity_at: datetime
    last_customer_message_at: datetime | None
    created_at: datetime
    closed_at: datetime | None


def conversation_row(row: Any) -> ConversationRow:
    """From a row of the conversations table (or a ``Conversation``)."""
    return ConversationRow(
        row.id,
        row.contact_id,
        row.channel,
        row.external_id,
        row.status,
        row.assignee_id,
        row.team_id,
        row.message_count,
        row.attributes or {},
        row.last_activity_at,
        row.last_customer_message_at,
        row.created_at,
        row.closed_at,
    )


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One conversation as the conversation services see it."""

    id: int
    contact_id: int
    channel: str
    status: str
    assignee_id: int | None
    team_id: int | None
    message_count: int
    last_activity_at: datetime | None
    closed_at: datetime | None


def conversation_record(row: Conversation) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        contact_id=row.contact_id,
        channel=row.channel,
        status=row.status,
        assignee_id=row.assignee_id,
        team_id=row.team_id,
        message_count=row.message_count,
        last_activity_at=row.last_activity_at,
        closed_at=row.closed_at,
    )


async def _conversation_row(
    tx: Tx, conversation_id: int, *, lock: bool = False
) -> Conversation | None:
    """The conversation's ORM row (locked for update on PostgreSQL when ``lock``)."""
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        query = query.with_for_update()
    return await tx.session.scalar(query)


async def conversation(
    tx: Tx, conversation_id: int, *, lock: bool = False
) -> ConversationRecord | None:
    row = await _conversation_row(tx, conversation_id, lock=lock)
    if row is None:
        return None
    keep(tx, [row])
    return conversation_record(row)


async def _loaded(tx: Tx, conversation_id: int) -> Conversation:
    row = await tx.session.get(Conversation, conversation_id)
    assert row is not None, f"conversation {conversation_id} vanished"
    return row


async def set_assignee(
    tx: Tx, conversation_id: int, agent_id: int | None, *, team_id: int | None, at: datetime
) -> None:
    """Give the conversation to ``agent_id`` (None: nobody) and ``team_id`` (None: the team
    stays); it was active ``at``."""
    row = await _loaded(tx, conversation_id)
    row.assignee_id = agent_id
    if team_id is not None:
        row.team_id = team_id
    row.last_activity_at = at


async def set_status(
    tx: Tx, conversation_id: int, status: str, *, closed_at: datetime | None, at: datetime
) -> None:
    """Set the status and closing time; the conversation was active ``at``."""
    row = await _loaded(tx, conversation_id)
    row.status = status
    row.closed_at = closed_at
    row.last_activity_at = at


async def tag_id(tx: Tx, name: str) -> int | None:
    return await tx.session.scalar(select(Tag.id).where(Tag.name == name))


async def ensure_tag(tx: Tx, name: str) -> int:
    """The id of the tag ``name``, stored first when new."""
    await upsert_ignore(tx.session, Tag, {"name": name}, ["name"])
    found = await tag_id(tx, name)
    assert found is not None
    return found


async def add_conversation_tag(tx: Tx, conversation_id: int, tag: int) -> bool:
    """Tag the conversation; False when it had the tag."""
    return await upsert_ignore(
        tx.session,
        ConversationTag,
        {"conversation_id": conversation_id, "tag_id": tag},
        ["conversation_id", "tag_id"],
    )


async def remove_conversation_tag(tx: Tx, conversation_id: int, tag: int) -> bool:
    """Untag the conversation; False when it did not have the tag."""
    result = await tx.session.execute(
        delete(ConversationTag).where(
            ConversationTag.conversation_id == conversation_id, ConversationTag.tag_id == tag
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def tags_of(tx: Tx, conversation_id: int) -> list[str]:
    """The conversation's tag names, sorted."""
    rows = await tx.session.scalars(
        select(Tag.name)
        .join(ConversationTag, ConversationTag.tag_id == Tag.id)
        .where(ConversationTag.conversation_id == conversation_id)
        .order_by(Tag.name)
    )
    return list(rows)
