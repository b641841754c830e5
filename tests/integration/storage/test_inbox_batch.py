"""A batch stored at once leaves the same rows and events as the messages received one by
one, and tells each message's caller what happened to it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.core.messages import InboundMessage, SenderProfile
from bot.domain import conversations
from bot.pipeline.services import Services
from bot.storage.models import Contact, ContactIdentity, Conversation, Event, Message


def message(
    channel: str, external_id: str, chat: str, text: str = "hi", **sender: Any
) -> InboundMessage:
    start = text.removeprefix("/start ").strip() if text.startswith("/start") else None
    return InboundMessage(
        channel=channel,
        external_conversation_id=chat,
        external_message_id=external_id,
        sender=SenderProfile(external_id=f"user-{chat}", **sender),
        kind="start" if start else "text",
        text=text,
        start_param=start,
        metadata={"n": external_id},
    )


def scenario(channel: str) -> list[InboundMessage]:
    return [
        message(channel, "m1", "A", username="ada"),
        message(channel, "m2", "A", "second", name="Ada Lovelace", phone="+441"),
        message(channel, "m3", "B", "/start promo", name="Bob"),
        message(channel, "m1", "A", "a redelivery"),
        message(channel, "m4", "A", "third", email="ada@example.com"),
        message(channel, "m5", "C", "after a signal"),
        message(channel, "m6", "D", "after the close"),
        message(channel, "m7", "B", "again"),
    ]


async def prepare(services: Services, channel: str) -> None:
    """A silent conversation for chat C (a visitor signal) and a closed one for chat D."""
    await services.inbox.visitor_event(channel, "C", "visitor.idle", {"seconds": 60})
    first = await services.inbox.receive(message(channel, "d0", "D", "before"))
    async with services.uow() as tx:
        assert first.conversation_id is not None
        await conversations.close(tx, first.conversation_id, by="test")


async def snapshot(services: Services, channel: str) -> dict[str, Any]:
    async with services.db.session() as session:
        people = {
            identity.external_id: (contact.name, contact.phone, contact.email, contact.attributes)
            for identity, contact in (
                await session.execute(
                    select(ContactIdentity, Contact)
                    .join(Contact, Contact.id == ContactIdentity.contact_id)
                    .where(ContactIdentity.channel == channel)
                )
            ).all()
        }
        chats = (
            await session.scalars(
                select(Conversation)
                .where(Conversation.channel == channel)
                .order_by(Conversation.id)
            )
        ).all()
        chat_names = {chat.id: chat.external_id for chat in chats}
        texts = {
            m.id: (chat_names[m.conversation_id], m.text, m.kind, m.extra)
            for m in (
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id.in_(chat_names))
                    .order_by(Message.id)
                )
            ).all()
        }
        events = [
            (e.type, chat_names[e.conversation_id], texts.get(e.message_id or 0, (None,))[0:2])
            for e in (
                await session.scalars(
                    select(Event).where(Event.conversation_id.in_(chat_names)).order_by(Event.id)
                )
            ).all()
        ]
    return {
        "people": people,
        "chats": [
            (c.external_id, c.status, c.message_count, c.last_customer_message_at) for c in chats
        ],
        "messages": list(texts.values()),
        "events": events,
    }


async def test_a_batch_matches_one_by_one(services: Services) -> None:
    for channel in ("single", "batch"):
        await prepare(services, channel)
    for each in scenario("single"):
        await services.inbox.receive(each)
    async with services.uow() as tx:
        results = await services.inbox.store(tx, scenario("batch"))
    assert [not r.duplicate for r in results] == [True, True, True, False, True, True, True, True]
    single, batch = await snapshot(services, "single"), await snapshot(services, "batch")
    assert batch == single
    # A, B, C (its first message), D before the close and D's new conversation
    assert [e[0] for e in batch["events"]].count("conversation.created") == 5
    assert batch["people"]["user-A"][:3] == ("ada", "+441", "ada@example.com")
    assert batch["people"]["user-B"][3] == {"start_param": "promo"}


async def test_a_batch_after_a_batch_finds_what_the_first_made(services: Services) -> None:
    messages = scenario("batch")
    async with services.uow() as tx:
        await services.inbox.store(tx, messages[:3])
    async with services.uow() as tx:
        results = await services.inbox.store(tx, messages[2:])
    assert [not r.duplicate for r in results] == [False, False, True, True, True, True]
    async with services.db.session() as session:
        contacts = (await session.scalars(select(ContactIdentity.external_id))).all()
    assert sorted(contacts) == ["user-A", "user-B", "user-C", "user-D"]


async def test_each_message_of_a_batch_gets_its_own_result(services: Services) -> None:
    for channel in ("single", "batch"):
        await prepare(services, channel)
    single = [await services.inbox.receive(each) for each in scenario("single")]
    async with services.uow() as tx:
        batch = await services.inbox.store(tx, scenario("batch"))
    assert [(r.duplicate, r.new_conversation) for r in batch] == [
        (r.duplicate, r.new_conversation) for r in single
    ]
    # A, B, C (its first message after the signal) and D's new conversation
    assert [r.new_conversation for r in batch] == [
        True,
        False,
        True,
        False,
        False,
        True,
        True,
        False,
    ]
    assert batch[3].message_id is None and batch[3].conversation_id is None
    assert batch[0].conversation_id == batch[1].conversation_id == batch[4].conversation_id
    assert batch[2].conversation_id == batch[7].conversation_id != batch[0].conversation_id
    async with services.db.session() as session:
        for each, result in zip(scenario("batch"), batch, strict=True):
            if result.duplicate:
                continue
            stored = await session.get(Message, result.message_id)
            assert stored is not None and stored.text == each.text
            assert stored.conversation_id == result.conversation_id
            identity = await session.scalar(
                select(ContactIdentity).where(
                    ContactIdentity.channel == "batch",
                    ContactIdentity.external_id == each.sender.external_id,
                )
            )
            assert identity is not None and identity.contact_id == result.contact_id


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_batch_waits_for_the_conversation_another_transaction_adds_to(
    services: Services,
) -> None:
    """PostgreSQL (SQLite runs one writing transaction at a time): the conversation's row
    is locked, so a silent conversation's first message is announced once, whichever
    transaction stores it."""
    await services.inbox.visitor_event("widget", "V", "visitor.idle", {"seconds": 60})
    quiet = SenderProfile(external_id="V")  # nothing new to fill into the contact

    def said(external_id: str) -> InboundMessage:
        return InboundMessage(
            channel="widget",
            external_conversation_id="V",
            external_message_id=external_id,
            sender=quiet,
            text="hello",
        )

    async def later() -> Any:
        async with services.uow() as tx:
            return await services.inbox.store(tx, [said("m2")])

    async with services.uow() as tx:
        (first,) = await services.inbox.store(tx, [said("m1")])
        second_task = asyncio.create_task(later())
        await blocked_on_a_lock(services)
    (second,) = await second_task
    assert first.new_conversation and not second.new_conversation
    async with services.db.session() as session:
        created = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "conversation.created")
        )
    assert created == 1


async def blocked_on_a_lock(services: Services) -> None:
    """Returns once a session of the test database waits for a lock (10 s at most)."""
    async with asyncio.timeout(10):
        while True:
            async with services.db.session() as session:
                waiting = await session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return
            await asyncio.sleep(0.01)
