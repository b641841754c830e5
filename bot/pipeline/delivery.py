"""Delivers queued customer messages through their channel (outbox kind ``channel.send``)."""

from __future__ import annotations

import logging
from functools import partial

from bot.core.errors import NotFoundError, PermanentDeliveryError
from bot.core.messages import OutboundMessage
from bot.domain.replies import (
    SEND_KIND,
    delivery_status_row,
    freeform_blocked,
    mark_unreachable,
    set_delivery_status,
    write_delivery_status,
)
from bot.pipeline.services import Services
from bot.storage.pipeline.delivery_records import (
    CONVERSATION,
    read_sending_conversations,
    sending_conversations,
)
from bot.storage.pipeline.outbox_items import Delivery, Finish

logger = logging.getLogger(__name__)


class ChannelSender:
    """The outbox handler for customer messages."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self) -> None:
        self.services.outbox.register(
            SEND_KIND, self.send, on_dead=self.on_dead, prepare=read_sending_conversations
        )

    async def send(self, delivery: Delivery) -> Finish | None:
        """Send one queued message; its delivery status is recorded as the item is marked done."""
        message = OutboundMessage.model_validate(delivery.payload)
        if message.message_id is None and delivery.message_id is not None:
            # queue_reply stores the message's id on the item, not in the payload
            message = message.model_copy(update={"message_id": delivery.message_id})
        channel = self.services.channels.get(message.channel)
        if channel is None:
            raise PermanentDeliveryError(f"channel {message.channel!r} is not configured")
        if message.conversation_id is not None:
            conversation = delivery.context.get(CONVERSATION)
            if conversation is None or conversation.id != message.conversation_id:
                found = await sending_conversations(self.services.db, [message.conversation_id])
                conversation = found.get(message.conversation_id)
                if conversation is None:
                    raise NotFoundError(f"conversation {message.conversation_id} not found")
            last = conversation.last_customer_message_at
            allowed = channel.can_send_freeform(last, self.services.clock.now())
            blocked = freeform_blocked(conversation.channel, allowed, message)
            if blocked:
                raise PermanentDeliveryError(blocked)
            # the channel picks text or template from the same decision
            message = message.model_copy(
                update={
                    "metadata": {
                        **message.metadata,
                        "freeform_allowed": allowed,
                        "last_customer_message_at": last.isoformat() if last else None,
                    }
                }
            )
        try:
            result = await channel.send(message)
        except PermanentDeliveryError as exc:
            if exc.recipient_unreachable and message.conversation_id is not None:
                async with self.services.uow() as tx:
                    await mark_unreachable(tx, message.conversation_id)
            raise
        if message.message_id is None:
            return None
        external_id = ",".join(result.external_message_ids) or None
        if len(result.external_message_ids) > 1:  # its parts get rows of their own
            return partial(
                write_delivery_status,
                message_id=message.message_id,
                status=result.status,
                external_id=external_id,
            )
        return delivery_status_row(message.message_id, result.status, external_id=external_id)

    async def on_dead(self, delivery: Delivery, reason: str) -> None:
        if delivery.message_id is None:
            return
        async with self.services.uow() as tx:
            await set_delivery_status(tx, delivery.message_id, "failed", error=reason)
        await self.services.delivery_failed(delivery.message_id, delivery.conversation_id, reason)
