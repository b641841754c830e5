"""The rows a workflow's context is built from, read many at once as plain records.

Each read is one query for all the ids asked for (Nones ignored), keyed by id; the
records are copies for reading, nothing here is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select

from bot.storage.domain.conversation_records import ConversationRow, conversation_row
from bot.storage.models import (
    Agent,
    Base,
    Contact,
    Conversation,
    ConversationTag,
    Lead,
    Message,
    Tag,
    Team,
)
from bot.storage.sql import records_by_id, table_of
from bot.storage.uow import Tx

_Record = TypeVar("_Record")


@dataclass(frozen=True, slots=True)
class AgentRow:
    """Who a conversation is assigned to, as a context names them."""

    id: int
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class TeamRow:
    """A conversation's team, as a context names it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead's fields a context shows."""

    id: int
    contact_id: int | None
    name: str
    stage: str
    expected_amount: Decimal | None
    currency: str
    owner_id: int | None
    tags: list[str]
    attributes: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact's fields a context shows."""

    id: int
    name: str | None
    email: str | None
    phone: str | None
    locale: str | None
    unreachable: bool
    attributes: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MessageRow:
    """The message that set a run off, as a context shows it."""

    id: int
    text: str | None
    payload: str | None
    kind: str
    direction: str
    sender_kind: str


async def _by_id(
    tx: Tx, model: type[Base], ids: Iterable[int | None], make: Callable[[Any], _Record]
) -> dict[int | None, _Record]:
    rows = await records_by_id(tx.session, model, ids)
    return {key: make(row) for key, row in rows.items()}


async def conversations_by_id(
    tx: Tx, ids: Iterable[int | None]
) -> dict[int | None, ConversationRow]:
    return await _by_id(tx, Conversation, ids, conversation_row)


async def agents_by_id(tx: Tx, ids: Iterable[int | None]) -> dict[int | None, AgentRow]:
    return await _by_id(tx, Agent, ids, lambda row: AgentRow(row.id, row.name, row.email))


async def teams_by_id(tx: Tx, ids: Iterable[int | None]) -> dict[int | None, TeamRow]:
    return await _by_id(tx, Team, ids, lambda row: TeamRow(row.id, row.name))


def _lead(row: Any) -> LeadRow:
    return LeadRow(
        row.id,
        row.contact_id,
        row.name,
        row.stage,
        row.expected_amount,
        row.currency,
        row.owner_id,
        row.tags,
        row.attributes,
        row.created_at,
    )


async def leads_by_id(tx: Tx, ids: Iterable[int | None]) -> dict[int | None, LeadRow]:
    return await _by_id(tx, Lead, ids, _lead)


def _contact(row: Any) -> ContactRow:
    return ContactRow(
        row.id,
        row.name,
        row.email,
        row.phone,
        row.locale,
        row.unreachable,
        row.attributes,
        row.created_at,
    )


async def contacts_by_id(tx: Tx, ids: Iterable[int | None]) -> dict[int | None, ContactRow]:
    return await _by_id(tx, Contact, ids, _contact)


def _message(row: Any) -> MessageRow:
    return MessageRow(row.id, row.text, row.payload, row.kind, row.direction, row.sender_kind)


async def messages_by_id(tx: Tx, ids: Iterable[int | None]) -> dict[int | None, MessageRow]:
    return await _by_id(tx, Message, ids, _message)


_CONVERSATION_TAGS, _TAGS, _LEADS = table_of(ConversationTag), table_of(Tag), table_of(Lead)
_TAGS_OF = (
    select(_CONVERSATION_TAGS.c.conversation_id, _TAGS.c.name)
    .join(_TAGS, _CONVERSATION_TAGS.c.tag_id == _TAGS.c.id)
    .where(_CONVERSATION_TAGS.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)))
    .order_by(_TAGS.c.name)
)
_LATEST_LEADS_OF = (
    select(_LEADS.c.conversation_id, func.max(_LEADS.c.id))
    .where(_LEADS.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)))
    .group_by(_LEADS.c.conversation_id)
)


async def tags_of(tx: Tx, conversation_ids: Iterable[int | None]) -> dict[int, list[str]]:
    """Each conversation's tag names, in name order (none: left out), in one query."""
    wanted = sorted(i for i in set(conversation_ids) if i is not None)
    tags: dict[int, list[str]] = {}
    if wanted:
        rows = await tx.session.execute(_TAGS_OF, {"conversation_ids": wanted})
        for conversation_id, name in rows:
            tags.setdefault(conversation_id, []).append(name)
    return tags


async def latest_leads_of(tx: Tx, conversation_ids: Iterable[int | None]) -> dict[int | None, int]:
    """Each conversation's newest lead's id (none: left out), in one query."""
    wanted = sorted(i for i in set(conversation_ids) if i is not None)
    if not wanted:
        return {}
    rows = await tx.session.execute(_LATEST_LEADS_OF, {"conversation_ids": wanted})
    return {conversation_id: lead_id for conversation_id, lead_id in rows}
