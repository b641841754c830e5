"""The single way in: an InboundMessage is stored once, with its contact, conversation and events.

``receive`` stores one message in its own transaction. The channel acknowledges the
platform only after it returns, so an acknowledged message is never lost; a redelivery
of the same (channel, external message id) is recognised and dropped, also when both
copies arrive at the same moment. ``store`` does the same for many messages in the
caller's transaction; both go through :func:`bot.pipeline.inbox_batch.store_batch`, where a
single message is a batch of one.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.core.messages import InboundMessage
from bot.core.metrics import Metrics
from bot.pipeline.inbox_batch import ReceiveResult, open_conversation, store_batch
from bot.storage.uow import Tx, UnitOfWork
from workflows.event_names import EventType

logger = logging.getLogger(__name__)

__all__ = ["Inbox", "ReceiveResult"]


class Inbox:
    """Stores inbound customer messages and visitor signals."""

    def __init__(self, uow: UnitOfWork, metrics: Metrics) -> None:
        self.uow = uow
        self.metrics = metrics

    async def receive(self, message: InboundMessage) -> ReceiveResult:
        """Store ``message`` (or recognise it as a redelivery) in one transaction, for a
        sender waiting for the answer: it raises :class:`~bot.core.errors.StorageTimeout` when
        the database stays locked past ``settings.store_timeout_s``."""
        started = time.perf_counter()
        async with self.uow(urgent=True) as tx:
            (result,) = await store_batch(tx, [message])
        self.metrics.receive_seconds.observe(time.perf_counter() - started)
        self.metrics.inbound_messages.labels(
            message.channel, "duplicate" if result.duplicate else "stored"
        ).inc()
        return result

    async def store(self, tx: Tx, messages: list[InboundMessage]) -> list[ReceiveResult]:
        """Store ``messages`` in order (or recognise redeliveries) in the caller's
        transaction; what happened to each, in the same order."""
        if not messages:
            return []
        return await store_batch(tx, messages)

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
            conversation_id, contact_id = await open_conversation(
                tx, channel, external_conversation_id
            )
            tx.writes.record_event(
                event_type, conversation_id=conversation_id, contact_id=contact_id, data=data
            )
            return conversation_id
