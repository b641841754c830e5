"""The AI's conversations through AiConversations / AiTurn: plain values out, explicit updates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.errors import NotFoundError
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.ai_conversations import AiConversations
from bot.pipeline.services import Services
from bot.storage.models import Conversation, ConversationTag, Message, OutboxItem, Tag
from bot.storage.pipeline.ai_conversation_records import AGENT_KEY, FAILURES_KEY, AgentChat


async def conversation_with_ai(services: Services, instructions: str | None) -> tuple[int, int]:
    """A customer's conversation (its id, the id of the customer's message)."""
    result = await services.inbox.receive(
        InboundMessage(
            channel="telegram",
            external_conversation_id="chat-ai",
            external_message_id="m1",
            sender=SenderProfile(external_id="user-ai", name="Ada"),
            text="where is my order?",
        )
    )
    assert result.conversation_id is not None
    async with services.uow() as tx:
        row = await tx.session.get(Conversation, result.conversation_id)
        assert row is not None
        if instructions is not None:
            row.attributes = {**(row.attributes or {}), AGENT_KEY: instructions}
        message_id = await tx.session.scalar(
            select(Message.id).where(Message.conversation_id == row.id)
        )
    assert message_id is not None
    return result.conversation_id, message_id


def repository(services: Services) -> AiConversations:
    return AiConversations(services.db, services.uow)


async def test_chat_instructions_and_failures(services: Services) -> None:
    conversation_id, message_id = await conversation_with_ai(services, "be brief")
    ai = repository(services)
    assert await ai.instructions([conversation_id, conversation_id + 99]) == {
        conversation_id: "be brief"
    }
    async with ai.turn() as turn:
        assert await turn.chat(conversation_id) == AgentChat(
            id=conversation_id, instructions="be brief", person_assigned=False, failures=0
        )
        assert await turn.chat(conversation_id + 99) is None
        assert await turn.customer_text(message_id) == "where is my order?"
        assert await turn.history(conversation_id, ["customer"], 5) == [
            ("customer", "where is my order?")
        ]
        assert not await turn.waiting_for_answer(conversation_id)
        await turn.count_failures(conversation_id, 2)
    async with ai.turn() as turn:
        chat = await turn.chat(conversation_id)
        assert chat is not None and chat.failures == 2


async def test_reply_and_ask_are_queued(services: Services) -> None:
    conversation_id, _ = await conversation_with_ai(services, "be brief")
    ai = repository(services)
    async with ai.turn() as turn:
        assert not await turn.queued("ask-1")
        turn.ask_ai(conversation_id, {"text": "hi"}, key="ask-1")
        await turn.reply(
            conversation_id, "On its way.", choices=[], run_id=None, step_id=None, key="reply-1"
        )
    async with ai.turn() as turn:
        assert await turn.queued("ask-1")
        assert await turn.queued("reply-1")
        with pytest.raises(NotFoundError):
            await turn.reply(
                conversation_id + 99, "x", choices=[], run_id=None, step_id=None, key="r"
            )
    async with services.db.read() as session:
        items = {
            r.idempotency_key: r.destination for r in (await session.scalars(select(OutboxItem)))
        }
    assert items == {"ask-1": f"ai:{conversation_id}", "reply-1": "telegram:chat-ai"}


async def test_hand_over_stops_the_ai_tags_and_tells_the_customer(services: Services) -> None:
    conversation_id, _ = await conversation_with_ai(services, "be brief")
    ai = repository(services)
    async with ai.turn() as turn:
        await turn.count_failures(conversation_id, 3)
    async with ai.turn() as turn:
        await turn.hand_over(conversation_id, "A person takes over.", tag="ai-handover")
        await turn.log_call(999, None, "nothing: the run is gone", {})
    async with services.db.read() as session:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        assert AGENT_KEY not in row.attributes and FAILURES_KEY not in row.attributes
        tags = await session.scalars(
            select(Tag.name)
            .join(ConversationTag, ConversationTag.tag_id == Tag.id)
            .where(ConversationTag.conversation_id == conversation_id)
        )
        assert list(tags) == ["ai-handover"]
        texts = await session.scalars(
            select(Message.text).where(Message.direction == "out").order_by(Message.id)
        )
        assert list(texts) == ["A person takes over."]
    assert await ai.instructions([conversation_id]) == {conversation_id: None}
