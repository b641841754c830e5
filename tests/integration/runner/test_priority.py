"""Which workflows start when several match, and what answers a message nothing took."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.pipeline.services import Services
from bot.storage.models import Conversation
from tests.harness import EXAMPLES, Harness
from tests.integration.runner.flows import add_agent, messages, start

FLOW = """
name: {name}
priority: {priority}
exclusive: {exclusive}
trigger: {trigger}
steps:
  - {{type: send_message, text: "{name} ran"}}
"""


def flow(name: str, trigger: str, *, priority: int = 0, exclusive: bool = False) -> str:
    return FLOW.format(
        name=name, trigger=trigger, priority=priority, exclusive=str(exclusive).lower()
    )


async def test_the_highest_priority_exclusive_workflow_takes_the_message(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        flow("menu", "{event: message.received}"),
        flow(
            "refund",
            "{event: message.received, text_contains: refund}",
            priority=20,
            exclusive=True,
        ),
        flow("tagger", "{event: message.received}", priority=30),
    )
    await bot.say("I want a refund")
    # the tagger is not exclusive and goes first; refund claims the message from the menu
    assert bot.take() == ["tagger ran", "refund ran"]
    skips = messages(await bot.logs(), "skip")
    assert skips == [
        "not started on message.received #2: refund took the event (exclusive, priority 20)"
    ]
    await bot.say("hello")
    assert bot.take() == ["tagger ran", "menu ran"]


async def test_a_message_nothing_took_starts_the_unmatched_workflows(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        flow("fallback", "{event: message.unmatched}"),
        flow("order", "{event: message.received, text_contains: order}"),
    )
    await bot.say("where is my order")
    assert bot.take() == ["order ran"]
    await bot.say("hello?")
    assert bot.take() == ["fallback ran"]
    await bot.say("hello again?")
    assert bot.take() == ["fallback ran"]


async def examples(services: Services) -> Harness:
    bot = await Harness.start(services, *sorted(EXAMPLES.glob("*.yaml")))
    bot.clock.set(bot.clock.now().replace(hour=10))  # a Monday morning in Berlin: open
    return bot


async def assignee(bot: Harness) -> int | None:
    async with bot.services.db.session() as session:
        (conversation,) = await session.scalars(select(Conversation))
        return conversation.assignee_id


async def test_examples_a_first_refund_message_goes_to_refund_not_the_menu(
    services: Services,
) -> None:
    bot = await examples(services)
    await bot.say("Hi, I want a refund please")
    assert bot.take() == [
        "I can help with a refund. What is the payment reference on your receipt? (it starts with pi_ or ch_)"
    ]
    (run,) = await bot.runs()
    assert run.status == "waiting"
    await bot.say("pi_3Mtw")  # the answer goes to refund; nothing else starts on it
    assert bot.take() == ["How much should we refund? (for example 12.50)"]
    assert len(await bot.runs()) == 1


async def test_examples_assign_after_triage_not_during(services: Services) -> None:
    bot = await examples(services)
    await add_agent(bot, "Sam")
    await bot.say("hi")
    assert bot.take() == ["Hi Ada! I'm the relaybot assistant.", "What can I help you with?"]
    assert await assignee(bot) is None  # nobody is assigned while the bot is still asking
    await bot.say("where is my order")  # an answer to the menu, not a new order-status run
    assert bot.take() == ["Please pick one of the options (1, 2 or 3)."]
    assert len(await bot.runs()) == 1


async def test_examples_a_customer_promised_a_colleague_is_answered_again(
    services: Services,
) -> None:
    bot = await examples(services)
    await bot.say("hi")
    await bot.say("Talk to a person")
    busy = "Everyone is busy at the moment. We'll answer here as soon as someone is free."
    assert bot.take()[-1] == busy
    # the support run has ended; the next message is taken by no run and starts no flow
    await bot.say("hello? anyone?")
    assert bot.take() == [
        "Thanks, we have your message. A colleague will answer here as soon as someone is free."
    ]
