"""How many transactions the runner opens for a customer's message, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.events import DomainEvent
from bot.pipeline.services import Services
from bot.storage.models import Event
from tests.engine_events import listening
from tests.harness import EXAMPLES, Harness

SUPPORT = (EXAMPLES / "support.yaml", EXAMPLES / "support-survey.yaml")


@contextmanager
def transactions(services: Services) -> Iterator[list[str]]:
    """The transactions begun meanwhile, on the writing and (SQLite) the reading engine."""
    begun: list[str] = []

    def record(_conn: Any) -> None:
        begun.append("begin")

    with listening(services, "begin", record):
        yield begun


async def receive(bot: Harness, text: str) -> list[DomainEvent]:
    """Store a customer's message; the events it caused, not yet delivered."""
    await bot.services.inbox.receive(
        InboundMessage(
            channel=bot.channel.name,
            external_conversation_id="c1",
            external_message_id=f"m-{text}",
            sender=SenderProfile(external_id="c1", name="Ada"),
            text=text,
        )
    )
    async with bot.services.db.read() as session:
        rows = await session.scalars(
            select(Event).where(Event.delivered_at.is_(None)).order_by(Event.id)
        )
        return [DomainEvent.from_row(row) for row in rows]


async def test_a_new_customers_message_starts_its_flow_in_one_transaction(
    services: Services,
) -> None:
    """The waiting runs, the context, the fallback's match and the run's first steps are
    read and written together."""
    bot = await Harness.start(services, *SUPPORT)
    events = await receive(bot, "hi there")
    assert [e.type for e in events] == ["conversation.created", "message.received"]
    with transactions(services) as begun:
        for delivered in events:
            await bot.runner.on_event(delivered)
    assert len(begun) == 1
    await bot.settle()
    assert bot.take() == ["Hi Ada! I'm the relaybot assistant.", "What can I help you with?"]
    (run,) = await bot.runs()
    assert (run.status, run.waiting_for) == ("waiting", "answer")


async def test_an_answer_is_found_with_its_message_and_resumes_its_run(
    services: Services,
) -> None:
    """One transaction finds the waiting run and reads the answer; resuming the run reads
    its context and stores its step."""
    bot = await Harness.start(services, *SUPPORT)
    await bot.say("hi there")
    bot.take()
    events = await receive(bot, "2")
    with transactions(services) as begun:
        for delivered in events:
            await bot.runner.on_event(delivered)
    assert len(begun) == 3
    await bot.settle()
    assert bot.take()[0].startswith("Invoices and receipts")
    assert len(await bot.runs()) == 1
