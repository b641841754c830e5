"""Storing many inbound messages in one transaction with a handful of statements.

The same rules as :meth:`bot.inbox.Inbox.receive`, message by message in order: a
redelivered id is dropped; the sender's contact is found by identity or created (and
filled in where it had gaps); the chat's open conversation is found or created, and
``conversation.created`` is recorded before its first message; each message is stored
with ``message.received``. The difference is the cost: a fixed number of statements
per batch instead of per message. The journal processor uses it, and falls back to
one message at a time when a batch fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from bot.event_types import EventType
from bot.inbox import message_extra
from bot.messages import InboundMessage
from bot.models import Contact, ContactIdentity, Conversation, InboundKey, Message
from bot.sql import dialect_insert, insert_with_ids, is_postgres
from bot.uow import Tx


@dataclass
class _Chat:
    id: int
    contact_id: int
    announce: bool  # conversation.created is still to be recorded
    count: int = 0


@dataclass
class _Batch:
    tx: Tx
    messages: list[InboundMessage]
    contacts: dict[tuple[str, str], int] = field(default_factory=dict)
    chats: dict[tuple[str, str], _Chat] = field(default_factory=dict)


async def store_batch(tx: Tx, messages: list[InboundMessage]) -> list[bool]:
    """Store ``messages`` in order in ``tx``; for each, False when it was a redelivery."""
    fresh_keys = await _claim_keys(tx, messages)
    fresh: list[bool] = []
    kept: list[InboundMessage] = []
    for message in messages:
        key = (message.channel, message.external_message_id)
        is_fresh = key in fresh_keys
        fresh_keys.discard(key)  # a second copy in the same batch is a redelivery
        fresh.append(is_fresh)
        if is_fresh:
            kept.append(message)
    if kept:
        batch = _Batch(tx, kept)
        await _contacts(batch)
        await _conversations(batch)
        await _messages(batch)
    return fresh


async def _claim_keys(tx: Tx, messages: list[InboundMessage]) -> set[tuple[str, str]]:
    rows = {
        (m.channel, m.external_message_id): {
            "channel": m.channel, "external_id": m.external_message_id, "received_at": tx.now,
        }
        for m in messages
    }
    statement = (
        dialect_insert(tx.session, InboundKey)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboundKey.channel, InboundKey.external_id)
    )
    result = await tx.session.execute(statement, list(rows.values()))
    return {(row.channel, row.external_id) for row in result}


def _sender_key(message: InboundMessage) -> tuple[str, str]:
    return message.channel, message.sender.external_id


def _pairs_in(
    channel: InstrumentedAttribute[str], external_id: InstrumentedAttribute[str], pairs: Iterable[tuple[str, str]]
) -> ColumnElement[bool]:
    """``(channel, external_id)`` is one of ``pairs``: an IN list per channel, which the
    (channel, external_id) index serves and the statement cache keeps (a batch rarely
    spans more than one channel)."""
    by_channel: dict[str, list[str]] = {}
    for name, external in pairs:
        by_channel.setdefault(name, []).append(external)
    return or_(*(and_(channel == name, external_id.in_(ids)) for name, ids in sorted(by_channel.items())))


async def _known_identities(tx: Tx, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not keys:
        return {}
    rows = await tx.session.execute(
        select(ContactIdentity.channel, ContactIdentity.external_id, ContactIdentity.contact_id).where(
            _pairs_in(ContactIdentity.channel, ContactIdentity.external_id, keys)
        )
    )
    return {(row.channel, row.external_id): row.contact_id for row in rows}


async def _contacts(batch: _Batch) -> None:
    tx = batch.tx
    first_of: dict[tuple[str, str], InboundMessage] = {}
    for message in batch.messages:
        first_of.setdefault(_sender_key(message), message)
    batch.contacts = await _known_identities(tx, set(first_of))
    missing = [key for key in first_of if key not in batch.contacts]
    if missing:
        await _create_contacts(batch, missing, first_of)
    await _refresh_known(batch)


async def _create_contacts(
    batch: _Batch, missing: list[tuple[str, str]], first_of: dict[tuple[str, str], InboundMessage]
) -> None:
    tx = batch.tx
    created = await insert_with_ids(tx.session, Contact, [_new_contact(first_of[key], tx) for key in missing])
    new_ids = dict(zip(missing, created, strict=True))
    await tx.session.execute(
        dialect_insert(tx.session, ContactIdentity).on_conflict_do_nothing(index_elements=["channel", "external_id"]),
        [
            {
                "contact_id": new_ids[key], "channel": key[0], "external_id": key[1],
                "profile": first_of[key].sender.model_dump(exclude_none=True), "created_at": tx.now,
            }
            for key in missing
        ],
    )
    if not is_postgres(tx.session):
        # the transaction has held SQLite's write lock since it began: no other writer
        # can have created these identities since they were found missing
        batch.contacts.update(new_ids)
        return
    settled = await _known_identities(tx, set(missing))
    orphans = [new_ids[key] for key in missing if settled[key] != new_ids[key]]
    if orphans:  # another transaction created those identities first
        await tx.session.execute(delete(Contact).where(Contact.id.in_(orphans)))
    batch.contacts.update(settled)


def _new_contact(message: InboundMessage, tx: Tx) -> dict[str, Any]:
    sender = message.sender
    return {
        "name": sender.name or sender.username, "email": sender.email, "phone": sender.phone,
        "locale": sender.locale,
        "attributes": {"start_param": message.start_param} if message.start_param else {},
        "unreachable": False, "created_at": tx.now, "updated_at": tx.now,
    }


async def _refresh_known(batch: _Batch) -> None:
    """Fill each contact's gaps from what its messages say, in order, as ``receive`` does."""
    tx = batch.tx
    ids = set(batch.contacts.values())
    if not ids:
        return
    rows = await tx.session.execute(
        select(Contact.id, Contact.name, Contact.phone, Contact.email, Contact.attributes).where(
            Contact.id.in_(ids)
        )
    )
    current = {row.id: {"name": row.name, "phone": row.phone, "email": row.email,
                        "attributes": dict(row.attributes or {})} for row in rows}
    changed: dict[int, dict[str, Any]] = {}
    for message in batch.messages:
        contact_id = batch.contacts.get(_sender_key(message))
        if contact_id is None:
            continue
        values = changed.get(contact_id) or dict(current[contact_id])
        sender = message.sender
        after = {
            "name": values["name"] or sender.name or sender.username,
            "phone": values["phone"] or sender.phone,
            "email": values["email"] or sender.email,
            "attributes": (
                {**values["attributes"], "start_param": message.start_param}
                if message.start_param else values["attributes"]
            ),
        }
        if after != current[contact_id] or contact_id in changed:
            changed[contact_id] = after
    if changed:
        table = cast(Table, Contact.__table__)
        await tx.session.execute(
            update(table).where(table.c.id == bindparam("contact_id")).values(
                name=bindparam("new_name"), phone=bindparam("new_phone"),
                email=bindparam("new_email"), attributes=bindparam("new_attributes"),
                updated_at=tx.now,
            ),
            [
                {"contact_id": i, "new_name": v["name"], "new_phone": v["phone"],
                 "new_email": v["email"], "new_attributes": v["attributes"]}
                for i, v in changed.items()
            ],
        )


async def _conversations(batch: _Batch) -> None:
    tx = batch.tx
    first_of: dict[tuple[str, str], InboundMessage] = {}
    for message in batch.messages:
        first_of.setdefault((message.channel, message.external_conversation_id), message)
    rows = await tx.session.execute(
        select(Conversation.id, Conversation.channel, Conversation.external_id,
               Conversation.contact_id, Conversation.message_count)
        .where(
            Conversation.status != "closed",
            _pairs_in(Conversation.channel, Conversation.external_id, first_of),
        )
        .order_by(Conversation.id)
    )
    for row in rows:  # the newest open conversation of each chat wins
        batch.chats[(row.channel, row.external_id)] = _Chat(
            row.id, row.contact_id, announce=row.message_count == 0
        )
    missing = [key for key in first_of if key not in batch.chats]
    if not missing:
        return
    values = [
        {
            "contact_id": batch.contacts[_sender_key(first_of[key])], "channel": key[0],
            "external_id": key[1], "status": "open", "message_count": 0, "attributes": {},
            "created_at": tx.now, "last_activity_at": tx.now,
        }
        for key in missing
    ]
    created = await insert_with_ids(tx.session, Conversation, values)
    for key, new_id in zip(missing, created, strict=True):
        batch.chats[key] = _Chat(new_id, batch.contacts[_sender_key(first_of[key])], announce=True)


async def _messages(batch: _Batch) -> None:
    tx = batch.tx
    chat_of = [batch.chats[(m.channel, m.external_conversation_id)] for m in batch.messages]
    ids = await insert_with_ids(
        tx.session, Message,
        [_message_row(message, chat.id, tx) for message, chat in zip(batch.messages, chat_of, strict=True)],
    )
    counts: Counter[int] = Counter()
    for message, chat, message_id in zip(batch.messages, chat_of, ids, strict=True):
        if chat.announce:
            tx.record_event(
                EventType.CONVERSATION_CREATED, conversation_id=chat.id, contact_id=chat.contact_id,
                data={"channel": message.channel},
            )
            chat.announce = False
        tx.record_event(
            EventType.MESSAGE_RECEIVED, conversation_id=chat.id,
            contact_id=batch.contacts[_sender_key(message)], message_id=message_id,
            data={"channel": message.channel, "kind": message.kind},
        )
        counts[chat.id] += 1
    table = cast(Table, Conversation.__table__)
    await tx.session.execute(
        update(table)
        .where(table.c.id == bindparam("conversation_id"))
        .values(
            message_count=table.c.message_count + bindparam("added"),
            last_activity_at=tx.now, last_customer_message_at=tx.now,
        ),
        [{"conversation_id": i, "added": n} for i, n in counts.items()],
    )


def _message_row(message: InboundMessage, conversation_id: int, tx: Tx) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id, "direction": "in", "sender_kind": "customer",
        "kind": message.kind, "text": message.text, "payload": message.payload,
        "media": [m.model_dump(exclude_none=True) for m in message.media],
        "extra": message_extra(message), "external_id": message.external_message_id,
        "delivery_status": "received", "created_at": tx.now,
    }
