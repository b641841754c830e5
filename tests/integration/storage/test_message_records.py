"""Stored messages read as plain values: the widget's history, who wrote a message, a
pressed button shown by its label, and a conversation's summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.clock import FakeClock
from bot.domain import conversations, leads
from bot.domain.conversation_summaries import summarize
from bot.domain.message_labels import shown_text
from bot.domain.stored_messages import Sender, StoredMessages
from bot.pipeline.services import Services
from bot.storage.domain import console_records
from bot.storage.domain.message_records import MessageText
from bot.storage.models import Agent, Contact, Conversation, Message, Team

YES_NO = {"choices": [{"value": "y", "label": "Yes"}, {"value": "n", "label": "No"}]}


async def seed(services: Services, clock: FakeClock) -> dict[str, Any]:
    """A chat with a question, a button press, an agent's answer; an older conversation
    with the same chat before it."""
    async with services.db.session() as session:
        contact = Contact(name=None, email="ann@example.com", attributes={})
        sam = Agent(name="Sam", slack_user_id="U1", roles=[])
        team = Team(name="billing")
        session.add_all([contact, sam, team])
        await session.flush()
        old, current = (
            Conversation(
                contact_id=contact.id,
                channel="widget",
                external_id="v1",
                assignee_id=sam.id,
                team_id=team.id,
                attributes={},
            )
            for _ in range(2)
        )
        session.add_all([old, current])
        await session.flush()
        session.add(
            Message(conversation_id=old.id, direction="in", sender_kind="customer", text="old")
        )
        rows = [
            Message(conversation_id=current.id, direction="in", sender_kind="customer", text="hi"),
            Message(
                conversation_id=current.id,
                direction="out",
                sender_kind="bot",
                text="Pay now?",
                extra=YES_NO,
            ),
            Message(
                conversation_id=current.id,
                direction="in",
                sender_kind="customer",
                kind="button",
                text="y",
                payload="y",
            ),
            Message(
                conversation_id=current.id,
                direction="out",
                sender_kind="agent",
                agent_id=sam.id,
                text="Done",
            ),
        ]
        for row in rows:
            clock.advance(timedelta(seconds=1))
            row.created_at = clock.now()
            session.add(row)
            await session.flush()
        return {"conversation": current.id, "messages": [r.id for r in rows], "team": team.id}


async def test_latest_messages_and_their_senders(services: Services, clock: FakeClock) -> None:
    seeded = await seed(services, clock)
    stored = StoredMessages(services.db)
    latest = await stored.latest("widget", "v1", 3)
    assert [m.id for m in latest] == seeded["messages"][1:]
    assert [m.text for m in latest] == ["Pay now?", "y", "Done"]
    assert [m.sender for m in latest] == [
        Sender("bot", None),
        Sender("customer", None),
        Sender("agent", "Sam"),
    ]
    assert latest[0].extra == YES_NO and latest[0].media == []
    assert await stored.latest("widget", "nobody", 3) == []
    assert await stored.sender(seeded["messages"][3]) == Sender("agent", "Sam")
    assert await stored.sender(seeded["messages"][0]) == Sender("customer", None)
    assert await stored.sender(seeded["messages"][3] + 1000) is None


async def test_a_pressed_button_is_shown_by_its_label(services: Services, clock: FakeClock) -> None:
    seeded = await seed(services, clock)
    conversation_id = seeded["conversation"]
    question, press = seeded["messages"][1:3]
    async with services.uow() as tx:
        assert (
            await shown_text(tx, MessageText(press, conversation_id, "button", "y", "y")) == "Yes"
        )
        unknown = MessageText(press, conversation_id, "button", "maybe", "maybe")
        assert await shown_text(tx, unknown) == "maybe"
        # only outbound messages before the press are searched
        early = MessageText(question, conversation_id, "button", "y", "y")
        assert await shown_text(tx, early) == "y"
        assert await shown_text(tx, MessageText(press, conversation_id, "text", "hi", None)) == "hi"
        assert await shown_text(tx, MessageText(press, conversation_id, "text", None, None)) is None


async def test_summary(services: Services, clock: FakeClock) -> None:
    seeded = await seed(services, clock)
    conversation_id = seeded["conversation"]
    async with services.uow() as tx:
        await conversations.add_tag(tx, conversation_id, "vip")
        await leads.create_lead(
            tx, services.pipeline, name="Old deal", conversation_id=conversation_id
        )
        await leads.create_lead(tx, services.pipeline, name="Acme", conversation_id=conversation_id)
    async with services.uow() as tx:
        console = await console_records.conversation(tx, conversation_id)
        assert console is not None
        summary = await summarize(tx, console)
        from_record = await summarize(tx, await conversations.get_record(tx, conversation_id))
    assert summary == from_record
    assert (summary.id, summary.channel, summary.status) == (str(conversation_id), "widget", "open")
    assert (summary.customer_name, summary.assignee_name, summary.assignee_slack_id) == (
        "ann@example.com",
        "Sam",
        "U1",
    )
    assert (summary.team, summary.tags, summary.lead_name, summary.lead_stage) == (
        "billing",
        ("vip",),
        "Acme",
        "new",
    )
    assert summary.last_message == "Yes"
