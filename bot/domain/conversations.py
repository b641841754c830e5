"""Conversation services: assign, unassign, close, reopen, tag. Each records its event."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.core.errors import NotFoundError, ValidationFailed
from bot.storage.models import Agent, Conversation, ConversationTag, Tag, Team
from bot.storage.sql import upsert_ignore
from bot.storage.uow import Tx
from workflows.event_names import EventType


async def get(tx: Tx, conversation_id: int, *, lock: bool = False) -> Conversation:
    """The conversation row (locked for update on PostgreSQL when ``lock``)."""
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        query = query.with_for_update()
    row = await tx.session.scalar(query)
    if row is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    return row


async def assign(
    tx: Tx,
    conversation_id: int,
    agent_id: int | None,
    *,
    team_id: int | None = None,
    by: str = "system",
) -> bool:
    """Assign to an agent (and/or team); False when it already was. Records conversation.assigned."""
    conversation = await get(tx, conversation_id, lock=True)
    if agent_id is not None and await tx.session.get(Agent, agent_id) is None:
        raise ValidationFailed("agent_id", f"no agent {agent_id}")
    if team_id is not None and await tx.session.get(Team, team_id) is None:
        raise ValidationFailed("team_id", f"no team {team_id}")
    if conversation.assignee_id == agent_id and (
        team_id is None or conversation.team_id == team_id
    ):
        return False
    previous = conversation.assignee_id
    conversation.assignee_id = agent_id
    if team_id is not None:
        conversation.team_id = team_id
    conversation.last_activity_at = tx.now
    if agent_id is not None:
        agent = await tx.session.get(Agent, agent_id)
        assert agent is not None
        agent.last_assigned_at = tx.now
        tx.record_event(
            EventType.CONVERSATION_ASSIGNED,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data={
                "agent_id": agent_id,
                "previous_agent_id": previous,
                "team_id": conversation.team_id,
                "by": by,
            },
        )
    return True


async def unassign(tx: Tx, conversation_id: int, *, by: str = "system") -> bool:
    """Remove the assignee; False when there was none."""
    conversation = await get(tx, conversation_id, lock=True)
    if conversation.assignee_id is None:
        return False
    conversation.assignee_id = None
    conversation.last_activity_at = tx.now
    return True


async def close(tx: Tx, conversation_id: int, *, by: str = "system") -> bool:
    """Close (resolve) the conversation; False when it already was. Records conversation.closed."""
    conversation = await get(tx, conversation_id, lock=True)
    if conversation.status == "closed":
        return False
    conversation.status = "closed"
    conversation.closed_at = tx.now
    conversation.last_activity_at = tx.now
    tx.record_event(
        EventType.CONVERSATION_CLOSED,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        data={"by": by, "message_count": conversation.message_count},
    )
    return True


async def reopen(tx: Tx, conversation_id: int, *, by: str = "system") -> bool:
    """Reopen a closed conversation; False when it was open."""
    conversation = await get(tx, conversation_id, lock=True)
    if conversation.status != "closed":
        return False
    conversation.status = "open"
    conversation.closed_at = None
    conversation.last_activity_at = tx.now
    tx.record_event(
        EventType.CONVERSATION_REOPENED,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        data={"by": by},
    )
    return True


def _clean_tag(tag: str) -> str:
    cleaned = tag.strip()
    if not cleaned or len(cleaned) > 120:
        raise ValidationFailed("tag", "must be 1 to 120 characters")
    return cleaned


async def _tag_id(tx: Tx, name: str) -> int:
    await upsert_ignore(tx.session, Tag, {"name": name}, ["name"])
    tag_id = await tx.session.scalar(select(Tag.id).where(Tag.name == name))
    assert tag_id is not None
    return tag_id


async def add_tag(tx: Tx, conversation_id: int, tag: str, *, by: str = "system") -> bool:
    """Tag the conversation; False when it already had the tag. Records tag.added."""
    name = _clean_tag(tag)
    conversation = await get(tx, conversation_id)
    tag_id = await _tag_id(tx, name)
    added = await upsert_ignore(
        tx.session,
        ConversationTag,
        {"conversation_id": conversation_id, "tag_id": tag_id},
        ["conversation_id", "tag_id"],
    )
    if added:
        tx.record_event(
            EventType.TAG_ADDED,
            conversation_id=conversation_id,
            contact_id=conversation.contact_id,
            data={"tag": name, "by": by},
        )
    return added


async def remove_tag(tx: Tx, conversation_id: int, tag: str, *, by: str = "system") -> bool:
    """Untag the conversation; False when it did not have the tag."""
    name = _clean_tag(tag)
    conversation = await get(tx, conversation_id)
    tag_id = await tx.session.scalar(select(Tag.id).where(Tag.name == name))
    if tag_id is None:
        return False
    result = await tx.session.execute(
        delete(ConversationTag).where(
            ConversationTag.conversation_id == conversation_id, ConversationTag.tag_id == tag_id
        )
    )
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        tx.record_event(
            EventType.TAG_REMOVED,
            conversation_id=conversation_id,
            contact_id=conversation.contact_id,
            data={"tag": name, "by": by},
        )
    return removed


async def tags_of(tx: Tx, conversation_id: int) -> list[str]:
    rows = await tx.session.scalars(
        select(Tag.name)
        .join(ConversationTag, ConversationTag.tag_id == Tag.id)
        .where(ConversationTag.conversation_id == conversation_id)
        .order_by(Tag.name)
    )
    return list(rows)
