"""The sender hands its 24-hour-window decision to the channel in the message metadata."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.replies import queue_reply
from bot.pipeline.delivery import ChannelSender
from bot.pipeline.services import Services
from bot.storage.models import Conversation
from channels.testing import RecordingChannel
from workflows.message_parts import Template


async def test_window_decision_reaches_the_channel(services: Services, clock: FakeClock) -> None:
    channel = RecordingChannel("whatsapp", window=timedelta(hours=24))
    services.add_channel(channel)
    ChannelSender(services).register()
    received = await services.inbox.receive(
        InboundMessage(
            channel="whatsapp",
            external_conversation_id="whatsapp:+1555",
            external_message_id="m1",
            sender=SenderProfile(external_id="whatsapp:+1555"),
            text="hi",
        )
    )
    wrote_at = clock.now()
    for text in ("inside", "outside"):
        async with services.uow() as tx:
            conversation = await tx.session.get(Conversation, received.conversation_id)
            assert conversation is not None
            await queue_reply(tx, conversation, text, template=Template(content_sid="HX1"))
        await services.outbox.drain()
        clock.advance(timedelta(hours=25))
    inside, outside = channel.sent
    assert inside.metadata == {
        "freeform_allowed": True,
        "last_customer_message_at": wrote_at.isoformat(),
    }
    assert outside.metadata["freeform_allowed"] is False
    assert outside.template is not None
