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
from dataclasses import dataclass, field

from bot.core.messages import InboundMessage, SenderProfile
from bot.storage.pipeline.inbox_store import (
    ContactDetails,
    Pair,
    claim_delivery_keys,
    contact_details,
    contacts_of_identities,
    count_messages,
    create_contacts,
    create_conversations,
    fill_contacts,
    insert_inbound_messages,
    open_conversations,
    sender_key,
)
from bot.storage.uow import Tx
from workflows.event_names import EventType


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
    contacts: dict[Pair, int] = field(default_factory=dict)
    chats: dict[Pair, _Chat] = field(default_factory=dict)


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


async def _claim_keys(tx: Tx, messages: list[InboundMessage]) -> set[Pair]:
    keys = dict.fromkeys((m.channel, m.external_message_id) for m in messages)
    return await claim_delivery_keys(tx, list(keys))


async def _contacts(batch: _Batch) -> None:
    tx = batch.tx
    first_of: dict[Pair, InboundMessage] = {}
    for message in batch.messages:
        first_of.setdefault(sender_key(message), message)
    batch.contacts = await contacts_of_identities(tx, set(first_of))
    missing = [key for key in first_of if key not in batch.contacts]
    if missing:
        batch.contacts.update(await create_contacts(tx, [first_of[key] for key in missing]))
    await _refresh_known(batch)


async def _refresh_known(batch: _Batch) -> None:
    """Fill each contact's gaps from what its messages say, in order, as ``receive`` does."""
    tx = batch.tx
    ids = set(batch.contacts.values())
    if not ids:
        return
    current = await contact_details(tx, ids)
    changed: dict[int, ContactDetails] = {}
    for message in batch.messages:
        contact_id = batch.contacts.get(sender_key(message))
        if contact_id is None:
            continue
        values = changed.get(contact_id) or current[contact_id]
        sender = message.sender
        after = ContactDetails(
            name=values.name or sender.name or sender.username,
            phone=values.phone or sender.phone,
            email=values.email or sender.email,
            attributes=(
                {**values.attributes, "start_param": message.start_param}
                if message.start_param
                else values.attributes
            ),
        )
        if after != current[contact_id] or contact_id in changed:
            changed[contact_id] = after
    if changed:
        await fill_contacts(tx, changed)


async def _conversations(batch: _Batch) -> None:
    first_of: dict[Pair, InboundMessage] = {}
    for message in batch.messages:
        first_of.setdefault((message.channel, message.external_conversation_id), message)
    await _find_chats(batch, list(first_of))
    missing = [key for key in first_of if key not in batch.chats]
    if missing:
        await _open_chats(batch, missing, first_of)


async def _find_chats(batch: _Batch, keys: list[Pair]) -> None:
    """Each chat's newest open conversation, locked on PostgreSQL until the commit."""
    for key, found in (await open_conversations(batch.tx, keys)).items():
        batch.chats[key] = _Chat(found.id, found.contact_id, announce=found.message_count == 0)


async def _open_chats(
    batch: _Batch, missing: list[Pair], first_of: dict[Pair, InboundMessage]
) -> None:
    contacts = [batch.contacts[sender_key(first_of[key])] for key in missing]
    created = await create_conversations(batch.tx, list(zip(missing, contacts, strict=True)))
    for key, new_id, contact_id in zip(missing, created, contacts, strict=True):
        batch.chats[key] = _Chat(new_id, contact_id, announce=True)


async def _messages(batch: _Batch) -> list[ReceiveResult]:
    tx = batch.tx
    chat_of = [batch.chats[(m.channel, m.external_conversation_id)] for m in batch.messages]
    ids = await insert_inbound_messages(tx, batch.messages, [chat.id for chat in chat_of])
    counts: Counter[int] = Counter()
    results: list[ReceiveResult] = []
    for message, chat, message_id in zip(batch.messages, chat_of, ids, strict=True):
        opened = chat.announce
        if opened:
            tx.writes.record_event(
                EventType.CONVERSATION_CREATED,
                conversation_id=chat.id,
                contact_id=chat.contact_id,
                data={"channel": message.channel},
            )
            chat.announce = False
        contact_id = batch.contacts[sender_key(message)]
        tx.writes.record_event(
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
    await count_messages(tx, counts)
    return results
