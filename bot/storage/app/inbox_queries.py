"""What the console's inbox reads: conversations as list rows (customer, newest message,
assignee, team, tags), a transcript with its authors' names, and the stored events after
a cursor, which the live feed turns into updates.

Internal notes are messages with ``direction = "note"``: they are in a transcript, never
a row's preview (a customer-facing message is ``in`` or ``out``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.app.conversation_queries import MessageView, message_view
from bot.storage.models import Agent, Contact, Conversation, ConversationTag, Event, Message, Tag
from bot.storage.models import Team as TeamModel

CUSTOMER_FACING = ("in", "out")
"""The directions of messages the customer sees (``note`` is for agents only)."""


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Which conversations a list shows; ``None`` (or False) leaves a filter out."""

    status: str | None = "open"
    channel: str | None = None
    tag: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class Preview:
    """A conversation's newest customer-facing message."""

    direction: str
    sender_kind: str
    kind: str
    text: str | None
    payload: str | None


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One conversation as the inbox lists it."""

    id: int
    contact_id: int
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    channel: str
    status: str
    assignee_id: int | None
    assignee_name: str | None
    team_id: int | None
    team_name: str | None
    tags: tuple[str, ...]
    last_activity_at: datetime
    created_at: datetime
    preview: Preview | None


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """A stored event the live inbox shows."""

    id: int
    type: str
    conversation_id: int
    message_id: int | None
    data: dict[str, object]


@dataclass(frozen=True, slots=True)
class Person:
    """An agent or a team, by id and name (for the assign form and authors' names)."""

    id: int
    name: str


def _filtered(where: InboxFilter) -> Select[Conversation]:
    query = select(Conversation)
    if where.status is not None:
        query = query.where(Conversation.status == where.status)
    if where.channel is not None:
        query = query.where(Conversation.channel == where.channel)
    if where.unassigned:
        query = query.where(Conversation.assignee_id.is_(None))
    elif where.assignee_id is not None:
        query = query.where(Conversation.assignee_id == where.assignee_id)
    if where.tag is not None:
        tagged = (
            select(ConversationTag.conversation_id)
            .join(Tag, Tag.id == ConversationTag.tag_id)
            .where(Tag.name == where.tag)
        )
        query = query.where(Conversation.id.in_(tagged))
    return query


async def inbox_rows(
    session: AsyncSession, where: InboxFilter, *, limit: int, offset: int = 0
) -> list[InboxRow]:
    """The conversations ``where`` keeps, newest activity first: ``limit`` of them from
    ``offset``."""
    query = (
        _filtered(where)
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return await _rows(session, list(await session.scalars(query)))


async def rows_by_id(session: AsyncSession, ids: Collection[int]) -> dict[int, InboxRow]:
    """These conversations as list rows, by id (missing ones left out)."""
    if not ids:
        return {}
    found = await session.scalars(select(Conversation).where(Conversation.id.in_(sorted(ids))))
    return {row.id: row for row in await _rows(session, list(found))}


async def _rows(session: AsyncSession, conversations: Sequence[Conversation]) -> list[InboxRow]:
    ids = [c.id for c in conversations]
    if not ids:
        return []
    contacts = {
        c.id: c
        for c in await session.scalars(
            select(Contact).where(Contact.id.in_({c.contact_id for c in conversations}))
        )
    }
    agents = await _names(session, Agent, {c.assignee_id for c in conversations})
    teams = await _names(session, TeamModel, {c.team_id for c in conversations})
    tags: dict[int, list[str]] = {}
    for conversation_id, name in await session.execute(
        select(ConversationTag.conversation_id, Tag.name)
        .join(Tag, Tag.id == ConversationTag.tag_id)
        .where(ConversationTag.conversation_id.in_(ids))
        .order_by(Tag.name)
    ):
        tags.setdefault(conversation_id, []).append(name)
    previews = await _previews(session, ids)
    rows = []
    for c in conversations:
        contact = contacts.get(c.contact_id)
        rows.append(
            InboxRow(
                id=c.id,
                contact_id=c.contact_id,
                contact_name=contact.name if contact else None,
                contact_email=contact.email if contact else None,
                contact_phone=contact.phone if contact else None,
                channel=c.channel,
                status=c.status,
                assignee_id=c.assignee_id,
                assignee_name=agents.get(c.assignee_id) if c.assignee_id else None,
                team_id=c.team_id,
                team_name=teams.get(c.team_id) if c.team_id else None,
                tags=tuple(tags.get(c.id, ())),
                last_activity_at=c.last_activity_at,
                created_at=c.created_at,
                preview=previews.get(c.id),
            )
        )
    return rows


async def _names(
    session: AsyncSession, model: type[Agent] | type[TeamModel], ids: set[int | None]
) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    found = await session.execute(select(model.id, model.name).where(model.id.in_(wanted)))
    return {id_: name for id_, name in found}


async def _previews(session: AsyncSession, ids: list[int]) -> dict[int, Preview]:
    newest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(ids), Message.direction.in_(CUSTOMER_FACING))
        .group_by(Message.conversation_id)
    )
    found = await session.scalars(select(Message).where(Message.id.in_(newest)))
    return {
        m.conversation_id: Preview(m.direction, m.sender_kind, m.kind, m.text, m.payload)
        for m in found
    }


async def transcript(session: AsyncSession, conversation_id: int, limit: int) -> list[MessageView]:
    """The conversation's newest ``limit`` messages and notes, oldest first."""
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [message_view(row) for row in reversed(list(rows))]


async def messages_by_id(session: AsyncSession, ids: Collection[int]) -> dict[int, MessageView]:
    if not ids:
        return {}
    found = await session.scalars(select(Message).where(Message.id.in_(sorted(ids))))
    return {row.id: message_view(row) for row in found}


async def agents(session: AsyncSession) -> list[Person]:
    """Every agent by name."""
    found = await session.execute(select(Agent.id, Agent.name).order_by(Agent.name, Agent.id))
    return [Person(id_, name) for id_, name in found]


async def teams(session: AsyncSession) -> list[Person]:
    """Every team by name."""
    found = await session.execute(
        select(TeamModel.id, TeamModel.name).order_by(TeamModel.name, TeamModel.id)
    )
    return [Person(id_, name) for id_, name in found]


async def tag_names(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Tag.name).order_by(Tag.name)))


async def newest_event_id(session: AsyncSession) -> int:
    """The id of the newest stored event (0 for none)."""
    return int(await session.scalar(select(func.max(Event.id))) or 0)


async def events_after(
    session: AsyncSession, after_id: int, types: Collection[str], limit: int
) -> list[InboxEvent]:
    """The stored events of ``types`` on a conversation with an id above ``after_id``,
    oldest first, at most ``limit``."""
    found = await session.execute(
        select(Event.id, Event.type, Event.conversation_id, Event.message_id, Event.data)
        .where(
            Event.id > after_id,
            Event.type.in_(sorted(types)),
            Event.conversation_id.is_not(None),
        )
        .order_by(Event.id)
        .limit(limit)
    )
    return [
        InboxEvent(id_, type_, int(conversation_id), message_id, dict(data or {}))
        for id_, type_, conversation_id, message_id, data in found
    ]
