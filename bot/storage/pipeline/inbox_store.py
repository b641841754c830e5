"""The statements of storing inbound messages in batches: delivery keys, contacts and
their identities, open conversations, the messages and their counts.

Each function is one statement (or one per channel for lookups by ``(channel,
external id)`` pairs, which the ``(channel, external_id)`` indexes serve), however many
messages the batch holds; the statements are built once, as building one costs more
than SQLite takes to run it. :mod:`bot.pipeline.inbox_batch` keeps the order of the work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, delete, select, update

from bot.core.messages import InboundMessage
from bot.storage.models import Contact, ContactIdentity, Conversation, InboundKey, Message
from bot.storage.sql import dialect_insert, insert_with_ids, is_postgres, table_of
from bot.storage.uow import Tx

Pair = tuple[str, str]
"""A ``(channel, external id)`` pair."""

_KEYS = table_of(InboundKey)
_IDENTITIES = table_of(ContactIdentity)
_CONTACTS = table_of(Contact)
_CONVERSATIONS = table_of(Conversation)
_PAIR_CHANNEL: BindParameter[str] = bindparam("pair_channel")
_PAIR_IDS: BindParameter[list[str]] = bindparam("pair_ids", expanding=True)
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
class ContactDetails:
    """The parts of a contact that inbound messages fill in where they are missing."""

    name: str | None
    phone: str | None
    email: str | None
    attributes: dict[str, Any]


@dataclass(frozen=True)
class OpenConversation:
    """A chat's open conversation, as the inbox finds it."""

    id: int
    contact_id: int
    message_count: int


def sender_key(message: InboundMessage) -> Pair:
    """The identity a message's sender is known by: ``(channel, sender's external id)``."""
    return message.channel, message.sender.external_id


async def claim_delivery_keys(tx: Tx, keys: list[Pair]) -> set[Pair]:
    """Record these (distinct) ``(channel, external message id)`` keys; those not seen before."""
    rows = [
        {"channel": channel, "external_id": external, "received_at": tx.now}
        for channel, external in keys
    ]
    statement = _claim_statement(tx.session.get_bind().dialect.name)
    result = await tx.session.execute(statement, rows)
    return {(row.channel, row.external_id) for row in result}


async def _rows_of_pairs(tx: Tx, statement: Select[Any], pairs: Iterable[Pair]) -> list[Any]:
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


async def contacts_of_identities(tx: Tx, keys: set[Pair]) -> dict[Pair, int]:
    """The contact id of each of these sender identities that is known."""
    rows = await _rows_of_pairs(tx, _IDENTITIES_OF, keys)
    return {(row.channel, row.external_id): row.contact_id for row in rows}


async def create_contacts(tx: Tx, senders: list[InboundMessage]) -> dict[Pair, int]:
    """A new contact, with its identity, for the sender of each message (one message per
    unknown identity); each identity's contact.

    On PostgreSQL another transaction may have created some of these identities
    meanwhile: theirs are kept, and the contacts made here for them are deleted.
    """
    keys = [sender_key(message) for message in senders]
    created = await insert_with_ids(
        tx.session, Contact, [_new_contact(message, tx) for message in senders]
    )
    new_ids = dict(zip(keys, created, strict=True))
    await tx.session.execute(
        _add_identities(tx.session.get_bind().dialect.name),
        [
            {
                "contact_id": new_ids[key],
                "channel": key[0],
                "external_id": key[1],
                "profile": message.sender.model_dump(exclude_none=True),
                "created_at": tx.now,
            }
            for key, message in zip(keys, senders, strict=True)
        ],
    )
    if not is_postgres(tx.session):
        # the transaction has held SQLite's write lock since it began: no other writer
        # can have created these identities since they were found missing
        return new_ids
    settled = await contacts_of_identities(tx, set(keys))
    orphans = [new_ids[key] for key in keys if settled[key] != new_ids[key]]
    if orphans:  # another transaction created those identities first
        await tx.session.execute(delete(Contact).where(Contact.id.in_(orphans)))
    return settled


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


async def contact_details(tx: Tx, contact_ids: set[int]) -> dict[int, ContactDetails]:
    """What these contacts hold now, by id."""
    rows = await tx.session.execute(_CONTACTS_BY_ID, {"contact_ids": sorted(contact_ids)})
    return {
        row.id: ContactDetails(row.name, row.phone, row.email, dict(row.attributes or {}))
        for row in rows
    }


async def fill_contacts(tx: Tx, details: dict[int, ContactDetails]) -> None:
    """Set these contacts' details (and ``updated_at``), in one statement."""
    await tx.session.execute(
        _FILL_CONTACT,
        [
            {
                "contact_id": i,
                "new_name": v.name,
                "new_phone": v.phone,
                "new_email": v.email,
                "new_attributes": v.attributes,
                "now": tx.now,
            }
            for i, v in details.items()
        ],
    )


async def open_conversations(tx: Tx, chats: list[Pair]) -> dict[Pair, OpenConversation]:
    """Each chat's newest open conversation, locked on PostgreSQL until the commit."""
    found: dict[Pair, OpenConversation] = {}
    for row in await _rows_of_pairs(tx, _OPEN_CONVERSATIONS_OF, chats):
        found[(row.channel, row.external_id)] = OpenConversation(
            row.id, row.contact_id, row.message_count
        )
    return found


async def create_conversations(tx: Tx, chats: list[tuple[Pair, int]]) -> list[int]:
    """An open conversation, without messages yet, for each ``(chat, contact id)``; their
    ids, in the same order."""
    values = [
        {
            "contact_id": contact_id,
            "channel": key[0],
            "external_id": key[1],
            "status": "open",
            "message_count": 0,
            "attributes": {},
            "created_at": tx.now,
            "last_activity_at": tx.now,
        }
        for key, contact_id in chats
    ]
    return await insert_with_ids(tx.session, Conversation, values)


async def insert_inbound_messages(
    tx: Tx, messages: list[InboundMessage], conversation_ids: list[int]
) -> list[int]:
    """Store each message in its conversation; their ids, in the same order."""
    return await insert_with_ids(
        tx.session,
        Message,
        [
            _message_row(message, conversation_id, tx)
            for message, conversation_id in zip(messages, conversation_ids, strict=True)
        ],
    )


async def count_messages(tx: Tx, added: dict[int, int]) -> None:
    """Add to each conversation's message count, and make it active now, in one statement."""
    await tx.session.execute(
        _COUNT_MESSAGES,
        [{"conversation_id": i, "added": n, "now": tx.now} for i, n in added.items()],
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


def message_extra(message: InboundMessage) -> dict[str, Any]:
    """What a stored inbound message keeps beside its text: metadata, location, start parameter."""
    extra: dict[str, Any] = dict(message.metadata)
    if message.location is not None:
        extra["location"] = message.location.model_dump(exclude_none=True)
    if message.start_param:
        extra["start_param"] = message.start_param
    return extra
