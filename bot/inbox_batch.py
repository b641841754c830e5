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
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, delete, select, update

from bot.inbox import message_extra
from bot.messages import InboundMessage
from bot.models import Contact, ContactIdentity, Conversation, InboundKey, Message
from bot.sql import dialect_insert, insert_with_ids, is_postgres, table_of
from bot.uow import Tx
from workflows.event_names import EventType

_KEYS = table_of(InboundKey)
_IDENTITIES = table_of(ContactIdentity)
_CONTACTS = table_of(Contact)
_CONVERSATIONS = table_of(Conversation)
_PAIR_CHANNEL: BindParameter[str] = bindparam("pair_channel")
_PAIR_IDS: BindParameter[list[str]] = bindparam("pair_ids", expanding=True)
# The statements are built once: building one costs more than SQLite takes to run it.
_IDENTITIES_OF = select(
    _IDENTITIES.c.channel, _IDENTITIES.c.external_id, _IDENTITIES.c.contact_id
).where(_IDENTITIES.c.channel == _PAIR_CHANNEL, _IDENTITIES.c.external_id.in_(_PAIR_IDS))
_OPEN_CONVERSATIONS_OF = (
    select(
        _CONVERSATIONS.c.id,
        _CONVERSATIONS.c.channel,
        _CONVERSATIONS.c.external_id,
        _CONVERSATIONS.c.contact_id,
        _CONVERSATIONS.c.message_count,
    )
    .where(
        _CONVERSATIONS.c.status != "closed",
        _CONVERSATIONS.c.channel == _PAIR_CHANNEL,
        _CONVERSATIONS.c.external_id.in_(_PAIR_IDS),
    )
    .order_by(_CONVERSATIONS.c.id)
)
_CONTACTS_BY_ID = select(
    _CONTACTS.c.id, _CONTACTS.c.name, _CONTACTS.c.phone, _CONTACTS.c.email, _CONTACTS.c.attributes
).where(_CONTACTS.c.id.in_(bindparam("contact_ids", expanding=True)))
_FILL_CONTACT = (
    update(_CONTACTS)
    .where(_CONTACTS.c.id == bindparam("contact_id"))
    .values(
        name=bindparam("new_name"),
        phone=bindparam("new_phone"),
        email=bindparam("new_email"),
        attributes=bindparam("new_attributes"),
        updated_at=bindparam("now"),
    )
)
_COUNT_MESSAGES = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(
        message_count=_CONVERSATIONS.c.message_count + bindparam("added"),
        last_activity_at=bindparam("now"),
        last_customer_message_at=bindparam("now"),
    )
)


@cache
def _claim_statement(dialect: str) -> Any:
    """Insert the delivery keys; the ones inserted (not seen before) come back."""
    return (
        dialect_insert(dialect, _KEYS)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(_KEYS.c.channel, _KEYS.c.external_id)
    )


@cache
def _add_identities(dialect: str) -> Any:
    return dialect_insert(dialect, _IDENTITIES).on_conflict_do_nothing(
        index_elements=["channel", "external_id"]
    )


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
            "channel": m.channel,
            "external_id": m.external_message_id,
            "received_at": tx.now,
        }
        for m in messages
    }
    statement = _claim_statement(tx.session.get_bind().dialect.name)
    result = await tx.session.execute(statement, list(rows.values()))
    return {(row.channel, row.external_id) for row in result}


def _sender_key(message: InboundMessage) -> tuple[str, str]:
    return message.channel, message.sender.external_id


async def _rows_of_pairs(
    tx: Tx, statement: Select[Any], pairs: Iterable[tuple[str, str]]
) -> list[Any]:
    """The rows ``statement`` finds for these ``(channel, external_id)`` pairs: one IN list
    per channel, which the (channel, external_id) index serves (a batch rarely spans more
    than one channel)."""
    by_channel: dict[str, list[str]] = {}
    for name, external in pairs:
        by_channel.setdefault(name, []).append(external)
    rows: list[Any] = []
    for name, ids in sorted(by_channel.items()):
        rows += (await tx.session.execute(statement, {"pair_channel": name, "pair_ids": ids})).all()
    return rows


async def _known_identities(tx: Tx, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    rows = await _rows_of_pairs(tx, _IDENTITIES_OF, keys)
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
    created = await insert_with_ids(
        tx.session, Contact, [_new_contact(first_of[key], tx) for key in missing]
    )
    new_ids = dict(zip(missing, created, strict=True))
    await tx.session.execute(
        _add_identities(tx.session.get_bind().dialect.name),
        [
            {
                "contact_id": new_ids[key],
                "channel": key[0],
                "external_id": key[1],
                "profile": first_of[key].sender.model_dump(exclude_none=True),
                "created_at": tx.now,
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
        "name": sender.name or sender.username,
        "email": sender.email,
        "phone": sender.phone,
        "locale": sender.locale,
        "attributes": {"start_param": message.start_param} if message.start_param else {},
        "unreachable": False,
        "created_at": tx.now,
        "updated_at": tx.now,
    }


async def _refresh_known(batch: _Batch) -> None:
    """Fill each contact's gaps from what its messages say, in order, as ``receive`` does."""
    tx = batch.tx
    ids = set(batch.contacts.values())
    if not ids:
        return
    rows = await tx.session.execute(_CONTACTS_BY_ID, {"contact_ids": sorted(ids)})
    current = {
        row.id: {
            "name": row.name,
            "phone": row.phone,
            "email": row.email,
            "attributes": dict(row.attributes or {}),
        }
        for row in rows
    }
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
                if message.start_param
                else values["attributes"]
            ),
        }
        if after != current[contact_id] or contact_id in changed:
            changed[contact_id] = after
    if changed:
        await tx.session.execute(
            _FILL_CONTACT,
            [
                {
                    "contact_id": i,
                    "new_name": v["name"],
                    "new_phone": v["phone"],
                    "new_email": v["email"],
                    "new_attributes": v["attributes"],
                    "now": tx.now,
                }
                for i, v in changed.items()
            ],
        )


async def _conversations(batch: _Batch) -> None:
    tx = batch.tx
    first_of: dict[tuple[str, str], InboundMessage] = {}
    for message in batch.messages:
        first_of.setdefault((message.channel, message.external_conversation_id), message)
    for row in await _rows_of_pairs(
        tx, _OPEN_CONVERSATIONS_OF, first_of
    ):  # the newest open conversation of each chat wins
        batch.chats[(row.channel, row.external_id)] = _Chat(
            row.id, row.contact_id, announce=row.message_count == 0
        )
    missing = [key for key in first_of if key not in batch.chats]
    if not missing:
        return
    values = [
        {
            "contact_id": batch.contacts[_sender_key(first_of[key])],
            "channel": key[0],
            "external_id": key[1],
            "status": "open",
            "message_count": 0,
            "attributes": {},
            "created_at": tx.now,
            "last_activity_at": tx.now,
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
        tx.session,
        Message,
        [
            _message_row(message, chat.id, tx)
            for message, chat in zip(batch.messages, chat_of, strict=True)
        ],
    )
    counts: Counter[int] = Counter()
    for message, chat, message_id in zip(batch.messages, chat_of, ids, strict=True):
        if chat.announce:
            tx.record_event(
                EventType.CONVERSATION_CREATED,
                conversation_id=chat.id,
                contact_id=chat.contact_id,
                data={"channel": message.channel},
            )
            chat.announce = False
        tx.record_event(
            EventType.MESSAGE_RECEIVED,
            conversation_id=chat.id,
            contact_id=batch.contacts[_sender_key(message)],
            message_id=message_id,
            data={"channel": message.channel, "kind": message.kind},
        )
        counts[chat.id] += 1
    await tx.session.execute(
        _COUNT_MESSAGES,
        [{"conversation_id": i, "added": n, "now": tx.now} for i, n in counts.items()],
    )


def _message_row(message: InboundMessage, conversation_id: int, tx: Tx) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "direction": "in",
        "sender_kind": "customer",
        "kind": message.kind,
        "text": message.text,
        "payload": message.payload,
        "media": [m.model_dump(exclude_none=True) for m in message.media],
        "extra": message_extra(message),
        "external_id": message.external_message_id,
        "delivery_status": "received",
        "created_at": tx.now,
    }
