"""Storing inbound messages: a single message is a batch of one.

Message by message, in order: a redelivered (channel, external message id) is dropped,
also when both copies arrive at the same moment; the sender's contact is found by
identity or created (and filled in where it had gaps); the chat's open conversation is
found (locked on PostgreSQL) or created, and ``conversation.created`` is recorded
before its first message; each message is stored with ``message.received``. A batch
costs a fixed number of statements however many messages it holds.
:class:`bot.pipeline.inbox.Inbox` is the way in: ``receive`` for one message in its own
transaction, ``store`` for many in the caller's (the journal processor's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, delete, select, update

from bot.core.messages import InboundMessage, SenderProfile
from bot.storage.models import Contact, ContactIdentity, Conversation, InboundKey, Message
from bot.storage.sql import dialect_insert, insert_with_ids, is_postgres, table_of
from bot.storage.uow import Tx
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
    .with_for_update()  # PostgreSQL: one transaction at a time adds to a conversation
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


@dataclass(frozen=True)
class ReceiveResult:
    """What happened to one inbound message."""

    duplicate: bool
    conversation_id: int | None = None
    contact_id: int | None = None
    message_id: int | None = None
    new_conversation: bool = False


_DUPLICATE = ReceiveResult(duplicate=True)


@dataclass
class _Chat:
    id: int
    contact_id: int
    announce: bool  # conversation.created is still to be recorded


@dataclass
class _Batch:
    tx: Tx
    messages: list[InboundMessage]
    contacts: dict[tuple[str, str], int] = field(default_factory=dict)
    chats: dict[tuple[str, str], _Chat] = field(default_factory=dict)


async def store_batch(tx: Tx, messages: list[InboundMessage]) -> list[ReceiveResult]:
    """Store ``messages`` in order in ``tx``; what happened to each, in the same order."""
    fresh_keys = await _claim_keys(tx, messages)
    fresh: list[bool] = []
    for message in messages:
        key = (message.channel, message.external_message_id)
        fresh.append(key in fresh_keys)
        fresh_keys.discard(key)  # a second copy in the same batch is a redelivery
    kept = [message for message, is_fresh in zip(messages, fresh, strict=True) if is_fresh]
    if not kept:
        return [_DUPLICATE] * len(messages)
    batch = _Batch(tx, kept)
    await _contacts(batch)
    await _conversations(batch)
    stored = iter(await _messages(batch))
    return [next(stored) if is_fresh else _DUPLICATE for is_fresh in fresh]


async def open_conversation(tx: Tx, channel: str, external_conversation_id: str) -> tuple[int, int]:
    """The chat's open conversation as (id, contact id); a visitor who has not written
    yet gets one without messages (and a contact), whose ``conversation.created`` is
    recorded with their first message."""
    probe = InboundMessage(
        channel=channel,
        external_conversation_id=external_conversation_id,
        external_message_id="",
        sender=SenderProfile(external_id=external_conversation_id),
        kind="event",
    )
    batch = _Batch(tx, [probe])
    key = (channel, external_conversation_id)
    await _find_chats(batch, [key])
    if key not in batch.chats:
        await _contacts(batch)
        await _open_chats(batch, [key], {key: probe})
    chat = batch.chats[key]
    return chat.id, chat.contact_id


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
    first_of: dict[tuple[str, str], InboundMessage] = {}
    for message in batch.messages:
        first_of.setdefault((message.channel, message.external_conversation_id), message)
    await _find_chats(batch, list(first_of))
    missing = [key for key in first_of if key not in batch.chats]
    if missing:
        await _open_chats(batch, missing, first_of)


async def _find_chats(batch: _Batch, keys: list[tuple[str, str]]) -> None:
    """Each chat's newest open conversation, locked on PostgreSQL until the commit."""
    for row in await _rows_of_pairs(batch.tx, _OPEN_CONVERSATIONS_OF, keys):
        batch.chats[(row.channel, row.external_id)] = _Chat(
            row.id, row.contact_id, announce=row.message_count == 0
        )


async def _open_chats(
    batch: _Batch, missing: list[tuple[str, str]], first_of: dict[tuple[str, str], InboundMessage]
) -> None:
    tx = batch.tx
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


async def _messages(batch: _Batch) -> list[ReceiveResult]:
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
    results: list[ReceiveResult] = []
    for message, chat, message_id in zip(batch.messages, chat_of, ids, strict=True):
        opened = chat.announce
        if opened:
            tx.record_event(
                EventType.CONVERSATION_CREATED,
                conversation_id=chat.id,
                contact_id=chat.contact_id,
                data={"channel": message.channel},
            )
            chat.announce = False
        contact_id = batch.contacts[_sender_key(message)]
        tx.record_event(
            EventType.MESSAGE_RECEIVED,
            conversation_id=chat.id,
            contact_id=contact_id,
            message_id=message_id,
            data={"channel": message.channel, "kind": message.kind},
        )
        counts[chat.id] += 1
        results.append(
            ReceiveResult(
                duplicate=False,
                conversation_id=chat.id,
                contact_id=contact_id,
                message_id=message_id,
                new_conversation=opened,
            )
        )
    await tx.session.execute(
        _COUNT_MESSAGES,
        [{"conversation_id": i, "added": n, "now": tx.now} for i, n in counts.items()],
    )
    return results


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


def message_extra(message: InboundMessage) -> dict[str, Any]:
    """What a stored inbound message keeps beside its text: metadata, location, start parameter."""
    extra: dict[str, Any] = dict(message.metadata)
    if message.location is not None:
        extra["location"] = message.location.model_dump(exclude_none=True)
    if message.start_param:
        extra["start_param"] = message.start_param
    return extra
