"""Customer messages are claimed with their conversations, read in the claim's transaction."""

from __future__ import annotations

from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.replies import queue_reply
from bot.pipeline.delivery import ChannelSender
from bot.pipeline.services import Services
from bot.storage.models import Conversation
from bot.storage.pipeline.delivery_records import CONVERSATION
from channels.testing import RecordingChannel


async def test_the_claim_brings_each_message_its_conversation(services: Services) -> None:
    channel = RecordingChannel("test")
    services.add_channel(channel)
    ChannelSender(services).register()
    conversations = []
    for chat in ("a", "b"):
        received = await services.inbox.receive(
            InboundMessage(
                channel="test",
                external_conversation_id=chat,
                external_message_id=f"m-{chat}",
                sender=SenderProfile(external_id=chat),
                text="hi",
            )
        )
        conversations.append(received.conversation_id)
        async with services.uow() as tx:
            conversation = await tx.session.get(Conversation, received.conversation_id)
            assert conversation is not None
            for text in ("greeting", "question"):
                await queue_reply(tx, conversation, f"{text} {chat}")
    claimed = await services.outbox._claim(10)
    assert [d.context[CONVERSATION].id for d in claimed] == [
        conversations[0],
        conversations[0],
        conversations[1],
        conversations[1],
    ]
    assert {d.context[CONVERSATION].channel for d in claimed} == {"test"}
    assert await services.outbox._deliver_claimed(claimed) == 4
    assert channel.texts("a") == ["greeting a", "question a"]
    assert channel.texts("b") == ["greeting b", "question b"]
