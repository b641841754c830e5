"""The support example end to end through the runner, on every storage backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.core.errors import ForbiddenError
from bot.pipeline.services import Services
from bot.storage.uow import Tx
from tests.harness import EXAMPLES, Harness

SUPPORT = (EXAMPLES / "support.yaml", EXAMPLES / "support-survey.yaml")


@pytest.fixture
async def bot(services: Services) -> Harness:
    return await Harness.start(services, *SUPPORT)


async def test_greets_asks_and_follows_billing_path(bot: Harness) -> None:
    await bot.say("hi there")
    assert bot.take() == ["Hi Ada! I'm the relaybot assistant.", "What can I help you with?"]
    question = bot.channel.sent[-1]
    assert [c.label for c in question.choices] == [
        "Where is my order?",
        "Billing question",
        "Talk to a person",
    ]
    await bot.say("2")
    assert bot.take()[0].startswith("Invoices and receipts")
    await bot.say("no")
    assert bot.take() == [
        "Glad I could help! Have a good day.",
        "How did we do today? Rate us from 1 (poor) to 5 (great).",
    ]
    runs = await bot.runs()
    assert [r.status for r in runs] == ["completed", "waiting"]  # support, then its survey
    assert runs[1].parent_run_id == runs[0].id and runs[1].depth == 1


async def test_first_message_is_not_taken_as_the_answer(bot: Harness) -> None:
    await bot.say("Billing question")
    # the opening message started the flow; it does not answer the question asked after it
    assert bot.take() == ["Hi Ada! I'm the relaybot assistant.", "What can I help you with?"]
    (run, *_) = await bot.runs()
    assert run.status == "waiting" and run.waiting_for == "answer"


async def test_button_press_answers(bot: Harness) -> None:
    await bot.say("hello")
    bot.take()
    await bot.say(payload="billing")
    assert bot.take()[0].startswith("Invoices and receipts")


async def test_invalid_answers_retry_then_invalid_exit(bot: Harness) -> None:
    bot.clock.set(bot.clock.now().replace(hour=10))  # a Monday morning in Berlin: open
    await bot.say("hello")
    bot.take()
    await bot.say("pizza")
    assert bot.take() == ["Please pick one of the options (1, 2 or 3)."]
    await bot.say("pasta")
    # max_attempts 2 -> invalid -> handoff: business hours open -> assign; no agents -> no_agent
    assert bot.take() == [
        "Everyone is busy at the moment. We'll answer here as soon as someone is free."
    ]


async def test_question_timeout_fires_once_after_restart(services: Services) -> None:
    bot = await Harness.start(services, *SUPPORT)
    await bot.say("hello")
    bot.take()
    await services.close()
    # the process restarts: new services on the same database; half an hour passes
    from bot.pipeline.services import build_services

    restarted = build_services(services.settings, bot.clock)
    try:
        again = await Harness.start(restarted, channel="test")
        bot.clock.advance(timedelta(minutes=31))
        await again.settle()
        assert again.take() == [
            "I'll close this chat for now. Just write again whenever you need us."
        ]
        bot.clock.advance(timedelta(hours=2))
        await again.settle()
        assert again.take() == []
        (run, *_) = await again.runs()
        assert run.status == "completed"
    finally:
        await restarted.close()


async def test_redelivered_trigger_event_starts_no_second_run(bot: Harness) -> None:
    await bot.say("hello")
    from bot.pipeline.events import EventDispatcher

    # deliver every stored event again, as after a crash before they were marked
    async with bot.services.db.session() as session:
        from sqlalchemy import update

        from bot.storage.models import Event

        await session.execute(update(Event).values(delivered_at=None))
    again = EventDispatcher(bot.services.db, bot.clock, bot.services.signals)
    again.subscribe(bot.runner.on_event)
    await again.drain()
    assert len(await bot.runs()) == 1
    assert bot.take() == ["Hi Ada! I'm the relaybot assistant.", "What can I help you with?"]


async def _an_agent_steps_in(
    bot: Harness, act: Callable[[Tx, int, int], Awaitable[object]]
) -> list[str]:
    """The customer is asked the first question; an agent does ``act(tx, conversation_id,
    agent_id)``; the run must be stopped. Its log messages."""
    from bot.storage.models import Agent

    await bot.say("hello")
    (run,) = await bot.runs()
    assert run.conversation_id is not None
    async with bot.services.uow() as tx:
        agent = Agent(name="Sam", roles=[])
        tx.session.add(agent)
        await tx.session.flush()
        await act(tx, run.conversation_id, agent.id)
    await bot.settle()
    (run,) = await bot.runs()
    assert run.status == "cancelled"
    return [log.message for log in await bot.logs(run.id)]


async def test_agent_taking_over_stops_the_question(bot: Harness) -> None:
    from bot.domain import conversations

    async def assign(tx: Tx, conversation_id: int, agent_id: int) -> None:
        await conversations.assign(tx, conversation_id, agent_id, by="slack")

    messages = await _an_agent_steps_in(bot, assign)
    assert "question stopped: a human took over (an agent took the conversation)" in messages
    bot.take()
    await bot.say("2")
    assert bot.take() == []


async def test_an_agent_writing_in_the_chat_stops_the_question(bot: Harness) -> None:
    from bot.domain.replies import queue_reply
    from bot.storage.models import Conversation

    async def reply(tx: Tx, conversation_id: int, agent_id: int) -> None:
        conversation = await tx.session.get(Conversation, conversation_id)
        assert conversation is not None
        await queue_reply(
            tx, conversation, "Sam here, let me help.", sender_kind="agent", agent_id=agent_id
        )

    messages = await _an_agent_steps_in(bot, reply)
    assert "question stopped: a human took over (an agent replied)" in messages


async def test_the_bots_own_messages_are_stored_delivered(bot: Harness) -> None:
    from sqlalchemy import select

    from bot.storage.models import Event

    await bot.say("hello")
    async with bot.services.db.read() as session:
        sent = (
            await session.execute(select(Event.delivered_at).where(Event.type == "message.sent"))
        ).all()
    assert len(sent) == 2  # the greeting and the question: no subscriber acts on them
    assert all(delivered_at is not None for (delivered_at,) in sent)


async def test_blocked_customer_takes_delivery_failed(bot: Harness) -> None:
    bot.channel.fail_next(ForbiddenError("bot was blocked by the user", recipient_unreachable=True))
    await bot.say("hello")
    # the greeting failed for good; the question went out; then block the question too
    assert bot.take() == ["What can I help you with?"]
    (run,) = await bot.runs()
    errors = [log.message for log in await bot.logs(run.id) if log.kind == "error"]
    assert any("bot was blocked" in message for message in errors)


async def test_run_log_has_trigger_steps_and_exits(bot: Harness) -> None:
    await bot.say("hello")
    await bot.say("2")
    (run, *_) = await bot.runs()
    logs = await bot.logs(run.id)
    kinds = [log.kind for log in logs]
    # support is the fallback: it starts on the message no run took and no flow started on
    assert kinds[0] == "trigger" and logs[0].data["event"]["type"] == "message.unmatched"
    step_logs = [(log.step_id, log.data.get("exit")) for log in logs if log.kind == "step"]
    assert ("topic", "answered") in step_logs
    assert ("route", None) in step_logs or any(s == "route" for s, _ in step_logs)
