"""Messages to customers: stored as outbound rows and queued for their channel."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any, Literal, Protocol

from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutboundMessage
from bot.storage.models import Contact, Conversation, Message, MessagePart
from bot.storage.outbox_items import FollowUpRow
from bot.storage.sql import dialect_insert, table_of
from bot.storage.uow import NewMessage, Tx
from workflows.message_parts import Choice, Template

logger = logging.getLogger(__name__)

SEND_KIND = "channel.send"
MESSAGE_SENT = "message.sent"
"""Internal event: an outbound message was queued (mirrors, live views)."""

SenderKind = Literal["bot", "agent", "system"]


class ConversationRef(Protocol):
    """What a reply needs of its conversation: an ORM ``Conversation`` or a plain row."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def external_id(self) -> str: ...
    @property
    def contact_id(self) -> int: ...


async def queue_reply(
    tx: Tx,
    conversation: ConversationRef,
    text: str,
    *,
    sender_kind: SenderKind = "bot",
    agent_id: int | None = None,
    choices: list[Choice] | None = None,
    media_url: str | None = None,
    template: Template | None = None,
    input_type: str | None = None,
    run_id: int | None = None,
    step_id: str | None = None,
    key: str | None = None,
    source: str | None = None,
) -> NewMessage:
    """Store an outbound message and queue it for delivery on the conversation's channel.

    Nothing is written yet: the message, its outbox item and its event (which take its
    id) are written with the transaction's others before commit, so many replies in one
    transaction share statements. The returned message has its id from then on.
    ``source`` marks where the text was written (kept in the message's ``extra``).
    """
    extra: dict[str, Any] = {}
    if choices:
        extra["choices"] = [c.model_dump() for c in choices]
    if input_type:
        extra["input_type"] = input_type
    if template is not None:
        extra["template"] = template.model_dump()
    if run_id is not None:
        extra["run_id"] = run_id
        extra["step_id"] = step_id
    if source is not None:
        extra["source"] = source
    row = tx.add_message(
        {
            "conversation_id": conversation.id,
            "direction": "out",
            "sender_kind": sender_kind,
            "agent_id": agent_id,
            "kind": "text",
            "text": text,
            "payload": None,
            "media": [{"url": media_url}] if media_url else [],
            "extra": extra,
            "external_id": None,
            "delivery_status": "queued",
            "error_code": None,
            "created_at": tx.now,
        }
    )
    tx.touch(conversation)
    outbound = OutboundMessage(
        channel=conversation.channel,
        external_conversation_id=conversation.external_id,
        text=text,
        choices=choices or [],
        media_url=media_url,
        template=template,
        input_type=input_type,
        conversation_id=conversation.id,
    )
    tx.enqueue(
        SEND_KIND,
        outbound.model_dump(mode="json"),
        destination=f"{conversation.channel}:{conversation.external_id}",
        key=key,
        conversation_id=conversation.id,
        run_id=run_id,
        step_id=step_id,
        message=row,
    )
    tx.record_event(
        MESSAGE_SENT,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        message=row,
        data={"sender_kind": sender_kind, "agent_id": agent_id},
    )
    return row


async def set_delivery_status(
    tx: Tx,
    message_id: int,
    status: str,
    *,
    external_id: str | None = None,
    error: str | None = None,
) -> None:
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


def freeform_blocked(
    conversation: Conversation, channel_allows: bool, message: OutboundMessage
) -> str | None:
    """Why a free-form message may not go out now (None when it may)."""
    if channel_allows or message.template is not None:
        return None
    return (
        f"outside {conversation.channel}'s customer-service window and no template named "
        "(add `template: {content_sid: ...}` to the step)"
    )


async def mark_unreachable(tx: Tx, conversation_id: int) -> None:
    contact_id = await tx.session.scalar(
        select(Conversation.contact_id).where(Conversation.id == conversation_id)
    )
    if contact_id is not None:
        await tx.session.execute(
            update(Contact).where(Contact.id == contact_id).values(unreachable=True)
        )
