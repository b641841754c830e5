"""Outbound messages' delivery: the status a channel or a platform's receipt reports, the
ids of the parts a message was sent in, and the contacts a channel cannot reach."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.domain.conversation_records import ConversationRow, conversation_row
from bot.storage.models import Contact, Conversation, Message, MessagePart
from bot.storage.pipeline.outbox_items import Delivery, FollowUpRow
from bot.storage.sql import dialect_insert, records_by_id, table_of
from bot.storage.uow import Tx


@dataclass(frozen=True)
class SentMessage:
    """An outbound message as a delivery receipt finds it."""

    id: int
    conversation_id: int
    delivery_status: str
    error_code: str | None


CONVERSATION = "conversation"
"""Key of the conversation :func:`read_sending_conversations` puts in a delivery's context."""


async def read_sending_conversations(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
    """Each delivery's conversation into its context, read in one query in ``session``
    (the outbox's ``prepare`` for customer messages: it runs in the claim's transaction)."""
    rows = await _conversations(session, (d.conversation_id for d in deliveries))
    for delivery in deliveries:
        if delivery.conversation_id in rows:
            delivery.context[CONVERSATION] = rows[delivery.conversation_id]


async def sending_conversations(
    db: Database, ids: Iterable[int | None]
) -> dict[int, ConversationRow]:
    """The conversations with these ids, by id, read in one query of their own (for a
    send whose claim read none)."""
    async with db.read() as session:
        return await _conversations(session, ids)


async def _conversations(
    session: AsyncSession, ids: Iterable[int | None]
) -> dict[int, ConversationRow]:
    rows = await records_by_id(session, Conversation, ids)
    return {row.id: conversation_row(row) for row in rows.values()}


async def set_delivery_status(
    tx: Tx,
    message_id: int,
    status: str,
    *,
    external_id: str | None = None,
    error: str | None = None,
) -> None:
    """:func:`write_delivery_status` in ``tx``."""
    await write_delivery_status(
        tx.session, message_id, status, external_id=external_id, error=error
    )


async def write_delivery_status(
    session: AsyncSession,
    message_id: int,
    status: str,
    *,
    external_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record how a message's delivery went (in ``session``'s transaction)."""
    row = delivery_status_row(message_id, status, external_id=external_id, error=error)
    connection = await session.connection()
    await connection.execute(row.statement, row.values)
    parts = dict.fromkeys(p for p in (external_id or "").split(",") if p)
    if len(parts) > 1:  # sent in pieces: each piece's receipt must find the message
        await connection.execute(
            dialect_insert(session, MessagePart).on_conflict_do_nothing(),
            [{"external_id": part, "message_id": message_id} for part in parts],
        )


def delivery_status_row(
    message_id: int, status: str, *, external_id: str | None = None, error: str | None = None
) -> FollowUpRow:
    """:func:`write_delivery_status`'s update as a row, for the outbox to write with the
    others of its group (a message sent in parts needs :func:`write_delivery_status`)."""
    values: dict[str, Any] = {"delivery_status": status}
    if external_id is not None:
        values["external_id"] = external_id
    if error is not None:
        values["error_code"] = error[:64]
    return FollowUpRow(_status_update(tuple(values)), {"message": message_id, **values})


@cache
def _status_update(columns: tuple[str, ...]) -> Update:
    """The prepared UPDATE of a message's delivery columns (built once per set of columns)."""
    table = table_of(Message)
    return (
        update(table)
        .where(table.c.id == bindparam("message"))
        .values({column: bindparam(column) for column in columns})
    )


async def sent_as(tx: Tx, external_id: str) -> SentMessage | None:
    """The newest outbound message sent as ``external_id`` (its own id, else one of its
    parts'), locked for a status change; two index lookups at most."""
    message = await tx.session.scalar(_newest(Message.external_id == external_id))
    if message is None:
        message = await tx.session.scalar(
            _newest(MessagePart.external_id == external_id).join(
                MessagePart, MessagePart.message_id == Message.id
            )
        )
    if message is None:
        return None
    return SentMessage(
        message.id, message.conversation_id, message.delivery_status, message.error_code
    )


def _newest(sent_as: ColumnElement[bool]) -> Select[Message]:
    """The newest outbound message matching ``sent_as``, locked for the status change."""
    return (
        select(Message)
        .where(sent_as, Message.direction == "out")
        .order_by(Message.id.desc())
        .limit(1)
        .with_for_update(of=Message)
    )


async def store_status(
    tx: Tx, message_id: int, status: str, *, error_code: str | None = None
) -> None:
    """A receipt's status on the message (and why it failed, when ``error_code``)."""
    values: dict[str, Any] = {"delivery_status": status}
    if error_code is not None:
        values["error_code"] = error_code
    await tx.session.execute(_status_update(tuple(values)), {"message": message_id, **values})


async def mark_unreachable(tx: Tx, conversation_id: int) -> None:
    """The conversation's contact cannot be reached on its channel."""
    contact_id = await tx.session.scalar(
        select(Conversation.contact_id).where(Conversation.id == conversation_id)
    )
    if contact_id is not None:
        await tx.session.execute(
            update(Contact).where(Contact.id == contact_id).values(unreachable=True)
        )
