"""The events table as the dispatcher reads and marks it.

Events are read as :class:`DomainEvent` values: the undelivered ones after a cursor,
those of some order keys (conversations, leads), or only which keys have any; and
marked delivered in one statement per group of deliveries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.claim_scope import ClaimScope, of_conversation
from bot.storage.db import Database
from bot.storage.models import Event
from bot.storage.sql import table_of
from bot.storage.uow import Tx


def order_key(conversation_id: int | None, lead_id: int | None, event_id: int) -> str:
    """The key of an event's order: its conversation's, else its lead's, else its own."""
    return owner_key(conversation_id, lead_id) or f"event:{event_id}"


def owner_key(conversation_id: int | None, lead_id: int | None) -> str | None:
    """The order key of the events of this conversation (else lead); None for an event
    with neither, whose order is its own."""
    if conversation_id is not None:
        return f"conversation:{conversation_id}"
    if lead_id is not None:
        return f"lead:{lead_id}"
    return None


@dataclass(frozen=True)
class DomainEvent:
    """What happened, as subscribers see it."""

    id: int
    type: str
    occurred_at: datetime
    conversation_id: int | None = None
    contact_id: int | None = None
    lead_id: int | None = None
    message_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def order_key(self) -> str:
        """Events sharing this key are handled one at a time, in order."""
        return order_key(self.conversation_id, self.lead_id, self.id)

    @classmethod
    def from_row(cls, row: Any) -> DomainEvent:
        """From a stored ``Event`` (or a row of its columns)."""
        return cls(
            id=row.id,
            type=row.type,
            occurred_at=row.occurred_at,
            conversation_id=row.conversation_id,
            contact_id=row.contact_id,
            lead_id=row.lead_id,
            message_id=row.message_id,
            data=dict(row.data or {}),
        )


EVENTS = table_of(Event)
MARK_DELIVERED = (
    update(EVENTS)
    .where(EVENTS.c.id.in_(bindparam("event_ids", expanding=True)), EVENTS.c.delivered_at.is_(None))
    .values(delivered_at=bindparam("now"))
)
"""Mark the events ``event_ids`` delivered at ``now`` (an event delivered twice keeps its
first time)."""


def _rows_of(keys: list[str]) -> ColumnElement[bool]:
    """The events whose :attr:`DomainEvent.order_key` is one of ``keys``."""
    idents: dict[str, list[int]] = {"conversation": [], "lead": [], "event": []}
    for key in keys:
        kind, _, raw = key.partition(":")
        idents[kind].append(int(raw))
    return or_(
        EVENTS.c.conversation_id.in_(idents["conversation"]),
        EVENTS.c.conversation_id.is_(None) & EVENTS.c.lead_id.in_(idents["lead"]),
        EVENTS.c.id.in_(idents["event"]),
    )


@cache
def _undelivered_after(scope: ClaimScope) -> Select[Any]:
    """Undelivered events of ``scope`` above ``after``, in id order, at most ``limit``
    (built once per scope: building it cost more than running it)."""
    return (
        select(*EVENTS.c)
        .where(
            EVENTS.c.delivered_at.is_(None),
            EVENTS.c.id > bindparam("after", type_=Integer),
            of_conversation(EVENTS.c.conversation_id, scope),
        )
        .order_by(EVENTS.c.id)
        .limit(bindparam("limit", type_=Integer))
    )


async def undelivered_events(
    db: Database, after: int, scope: ClaimScope, limit: int
) -> list[DomainEvent]:
    """The first ``limit`` undelivered events of ``scope`` with ids above ``after``, in id order."""
    async with db.read() as session:
        return await _undelivered(session, after, scope, limit)


async def undelivered_events_in(
    tx: Tx, after: int, scope: ClaimScope, limit: int
) -> list[DomainEvent]:
    """The same, read inside the open transaction ``tx`` (with what it wrote)."""
    return await _undelivered(tx.session, after, scope, limit)


async def _undelivered(
    session: AsyncSession, after: int, scope: ClaimScope, limit: int
) -> list[DomainEvent]:
    result = await session.execute(_undelivered_after(scope), {"after": after, "limit": limit})
    return [DomainEvent.from_row(row) for row in result.all()]


async def keys_with_undelivered(db: Database, scope: ClaimScope, limit: int) -> list[str]:
    """The order keys of ``scope`` with undelivered events, by their first event's id
    (at most ``limit``)."""
    first = func.min(EVENTS.c.id)
    alone = case((EVENTS.c.conversation_id.is_(None) & EVENTS.c.lead_id.is_(None), EVENTS.c.id))
    async with db.read() as session:
        rows = (
            await session.execute(
                select(first, EVENTS.c.conversation_id, EVENTS.c.lead_id)
                .where(
                    EVENTS.c.delivered_at.is_(None),
                    of_conversation(EVENTS.c.conversation_id, scope),
                )
                .group_by(EVENTS.c.conversation_id, EVENTS.c.lead_id, alone)
                .order_by(first)
                .limit(limit)
            )
        ).all()
    return [
        order_key(conversation_id, lead_id, event_id) for event_id, conversation_id, lead_id in rows
    ]


async def undelivered_events_of(
    db: Database, keys: list[str], scope: ClaimScope, limit: int
) -> dict[str, tuple[list[DomainEvent], bool]]:
    """The undelivered events of ``scope`` of each of these order keys, in id order, in
    one query; and whether the key may have more than were read (at most ``limit`` per
    key are kept)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(*EVENTS.c)
                .where(
                    EVENTS.c.delivered_at.is_(None),
                    _rows_of(keys),
                    of_conversation(EVENTS.c.conversation_id, scope),
                )
                .order_by(EVENTS.c.id)
                .limit(limit * len(keys))
            )
        ).all()
    cut = len(rows) >= limit * len(keys)  # some key's backlog may go on past the read
    found: dict[str, tuple[list[DomainEvent], bool]] = {}
    for row in rows:
        event = DomainEvent.from_row(row)
        events, _ = found.setdefault(event.order_key, ([], cut))
        if len(events) < limit:
            events.append(event)
        else:
            found[event.order_key] = (events, True)
    return found


async def mark_delivered(db: Database, event_ids: list[int], now: datetime) -> None:
    """Mark these events delivered at ``now``, in one statement and transaction."""
    async with db.session() as session:
        await session.execute(MARK_DELIVERED, {"event_ids": event_ids, "now": now})


async def count_undelivered(db: Database, scope: ClaimScope) -> int:
    """How many stored events of ``scope`` are not delivered yet."""
    async with db.read() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(EVENTS)
                .where(
                    EVENTS.c.delivered_at.is_(None),
                    of_conversation(EVENTS.c.conversation_id, scope),
                )
            )
            or 0
        )
