"""The single way in: an InboundMessage is stored once, with its contact, conversation and events.

``receive`` runs one transaction. The channel acknowledges the platform only after it
returns, so an acknowledged message is never lost; a redelivery of the same
(channel, external message id) is recognised and dropped, also when both copies
arrive at the same moment.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.messages import InboundMessage, SenderProfile
from bot.metrics import Metrics
from bot.models import Contact, ContactIdentity, Conversation, InboundKey, Message
from bot.sql import upsert_ignore
from bot.uow import Tx, UnitOfWork
from workflows.event_names import EventType

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceiveResult:
    """What happened to one inbound message."""

    duplicate: bool
    conversation_id: int | None = None
    contact_id: int | None = None
    message_id: int | None = None
    new_conversation: bool = False


class Inbox:
    """Stores inbound customer messages and visitor signals."""

    def __init__(self, uow: UnitOfWork, metrics: Metrics) -> None:
        self.uow = uow
        self.metrics = metrics

    async def receive(self, message: InboundMessage) -> ReceiveResult:
        """Store ``message`` (or recognise it as a redelivery) in one transaction, for a
        sender waiting for the answer: it raises :class:`~bot.errors.StorageTimeout` when
        the database stays locked past ``settings.store_timeout_s``."""
        started = time.perf_counter()
        async with self.uow(urgent=True) as tx:
            result = await self.store(tx, message)
        self.metrics.receive_seconds.observe(time.perf_counter() - started)
        self.metrics.inbound_messages.labels(
            message.channel, "duplicate" if result.duplicate else "stored"
        ).inc()
        return result

    async def store(self, tx: Tx, message: InboundMessage) -> ReceiveResult:
        """Store ``message`` (or recognise a redelivery) in the caller's transaction."""
        fresh = await upsert_ignore(
            tx.session,
            InboundKey,
            {
                "channel": message.channel,
                "external_id": message.external_message_id,
                "received_at": tx.now,
            },
            ["channel", "external_id"],
        )
        if not fresh:
            return ReceiveResult(duplicate=True)
        contact = await self._contact(tx, message)
        conversation, created = await self._conversation(tx, message, contact)
        row = Message(
            conversation_id=conversation.id,
            direction="in",
            sender_kind="customer",
            kind=message.kind,
            text=message.text,
            payload=message.payload,
            media=[m.model_dump(exclude_none=True) for m in message.media],
            extra=message_extra(message),
            external_id=message.external_message_id,
            delivery_status="received",
            created_at=tx.now,
        )
        tx.session.add(row)
        conversation.message_count += 1
        conversation.last_activity_at = tx.now
        conversation.last_customer_message_at = tx.now
        await tx.session.flush()
        tx.record_event(
            EventType.MESSAGE_RECEIVED,
            conversation_id=conversation.id,
            contact_id=contact.id,
            message_id=row.id,
            data={"channel": message.channel, "kind": message.kind},
        )
        return ReceiveResult(
            duplicate=False,
            conversation_id=conversation.id,
            contact_id=contact.id,
            message_id=row.id,
            new_conversation=created,
        )

    async def _contact(self, tx: Tx, message: InboundMessage) -> Contact:
        sender = message.sender
        identity = await tx.session.scalar(
            select(ContactIdentity).where(
                ContactIdentity.channel == message.channel,
                ContactIdentity.external_id == sender.external_id,
            )
        )
        if identity is not None:
            contact = await tx.session.get(Contact, identity.contact_id)
            assert contact is not None
            _refresh_contact(contact, message)
            return contact
        contact = Contact(
            name=sender.name or sender.username,
            email=sender.email,
            phone=sender.phone,
            locale=sender.locale,
            attributes={"start_param": message.start_param} if message.start_param else {},
            created_at=tx.now,
            updated_at=tx.now,
        )
        tx.session.add(contact)
        await tx.session.flush()
        inserted = await upsert_ignore(
            tx.session,
            ContactIdentity,
            {
                "contact_id": contact.id,
                "channel": message.channel,
                "external_id": sender.external_id,
                "profile": sender.model_dump(exclude_none=True),
                "created_at": tx.now,
            },
            ["channel", "external_id"],
        )
        if not inserted:  # another transaction created the identity first
            await tx.session.delete(contact)
            return await self._contact(tx, message)
        return contact

    async def _conversation(
        self, tx: Tx, message: InboundMessage, contact: Contact
    ) -> tuple[Conversation, bool]:
        query = (
            select(Conversation)
            .where(
                Conversation.channel == message.channel,
                Conversation.external_id == message.external_conversation_id,
                Conversation.status != "closed",
            )
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        conversation = await tx.session.scalar(query.with_for_update())
        if conversation is not None:
            if conversation.message_count == 0:
                # opened by a visitor signal: the chat starts with this first message
                _record_created(tx, conversation)
                return conversation, True
            return conversation, False
        conversation = Conversation(
            contact_id=contact.id,
            channel=message.channel,
            external_id=message.external_conversation_id,
            status="open",
            message_count=0,
            attributes={},
            created_at=tx.now,
            last_activity_at=tx.now,
        )
        tx.session.add(conversation)
        await tx.session.flush()
        _record_created(tx, conversation)
        return conversation, True

    async def visitor_event(
        self, channel: str, external_conversation_id: str, event_type: str, data: dict[str, Any]
    ) -> int:
        """Record a behavioral signal (rage click, idle, form frustration); returns the conversation id.

        A visitor who has not written yet gets a conversation without messages, so a
        proactive workflow has somewhere to speak; conversation.created is recorded
        when their first message arrives.
        """
        if event_type not in {
            EventType.VISITOR_RAGE_CLICK,
            EventType.VISITOR_IDLE,
            EventType.VISITOR_FORM_FRUSTRATION,
        }:
            raise ValueError(f"not a visitor event: {event_type}")
        async with self.uow() as tx:
            conversation = await tx.session.scalar(
                select(Conversation)
                .where(
                    Conversation.channel == channel,
                    Conversation.external_id == external_conversation_id,
                    Conversation.status != "closed",
                )
                .order_by(Conversation.id.desc())
                .limit(1)
            )
            if conversation is None:
                conversation = await self._silent_conversation(
                    tx, channel, external_conversation_id
                )
            tx.record_event(
                event_type,
                conversation_id=conversation.id,
                contact_id=conversation.contact_id,
                data=data,
            )
            return conversation.id

    async def _silent_conversation(
        self, tx: Tx, channel: str, external_conversation_id: str
    ) -> Conversation:
        probe = InboundMessage(
            channel=channel,
            external_conversation_id=external_conversation_id,
            external_message_id="",
            sender=SenderProfile(external_id=external_conversation_id),
            kind="event",
        )
        contact = await self._contact(tx, probe)
        conversation = Conversation(
            contact_id=contact.id,
            channel=channel,
            external_id=external_conversation_id,
            status="open",
            message_count=0,
            attributes={},
            created_at=tx.now,
            last_activity_at=tx.now,
        )
        tx.session.add(conversation)
        await tx.session.flush()
        return conversation


def _record_created(tx: Tx, conversation: Conversation) -> None:
    tx.record_event(
        EventType.CONVERSATION_CREATED,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        data={"channel": conversation.channel},
    )


def _refresh_contact(contact: Contact, message: InboundMessage) -> None:
    sender = message.sender
    contact.name = contact.name or sender.name or sender.username
    contact.phone = contact.phone or sender.phone
    contact.email = contact.email or sender.email
    if message.start_param:
        contact.attributes = {**(contact.attributes or {}), "start_param": message.start_param}


def message_extra(message: InboundMessage) -> dict[str, Any]:
    """What a stored inbound message keeps beside its text: metadata, location, start parameter."""
    extra: dict[str, Any] = dict(message.metadata)
    if message.location is not None:
        extra["location"] = message.location.model_dump(exclude_none=True)
    if message.start_param:
        extra["start_param"] = message.start_param
    return extra
