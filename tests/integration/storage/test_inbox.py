"""The single way in: dedupe, contact and conversation upserts, events, crash safety.

One contract for both ways a message is stored: ``Inbox.receive`` (its own transaction)
and ``Inbox.store`` (the journal processor's transaction), on every database.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.inbox import ReceiveResult
from bot.pipeline.services import Services
from bot.storage.models import Contact, Conversation, Event, Message

StoreOne = Callable[[InboundMessage], Awaitable[ReceiveResult]]


@pytest.fixture(params=["receive", "store"])
def store_one(request: pytest.FixtureRequest, services: Services) -> StoreOne:
    """Stores one message through ``receive``, or as a batch of one through ``store``."""
    if request.param == "receive":
        return services.inbox.receive

    async def store(message: InboundMessage) -> ReceiveResult:
        async with services.uow() as tx:
            (result,) = await services.inbox.store(tx, [message])
        return result

    return store


def inbound(
    external_id: str, text: str = "hello", chat: str = "chat-1", sender: str = "user-1"
) -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        external_conversation_id=chat,
        external_message_id=external_id,
        sender=SenderProfile(external_id=sender, name="Ada Lovelace"),
        text=text,
    )


async def count(services: Services, model: type) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_first_message_creates_contact_conversation_and_events(
    services: Services, store_one: StoreOne
) -> None:
    result = await store_one(inbound("m1"))
    assert not result.duplicate and result.new_conversation
    async with services.db.session() as session:
        events = list(await session.scalars(select(Event.type).order_by(Event.id)))
        conversation = await session.get(Conversation, result.conversation_id)
        contact = await session.get(Contact, result.contact_id)
        stored = await session.get(Message, result.message_id)
    assert events == ["conversation.created", "message.received"]
    assert stored is not None and stored.text == "hello"
    assert stored.conversation_id == result.conversation_id
    assert conversation is not None and conversation.message_count == 1
    assert conversation.last_customer_message_at == services.clock.now()
    assert contact is not None and contact.name == "Ada Lovelace"


async def test_second_message_reuses_conversation(services: Services, store_one: StoreOne) -> None:
    first = await store_one(inbound("m1"))
    second = await store_one(inbound("m2", "again"))
    assert second.conversation_id == first.conversation_id
    assert not second.new_conversation
    assert await count(services, Contact) == 1


async def test_redelivery_is_dropped(services: Services, store_one: StoreOne) -> None:
    await store_one(inbound("m1"))
    again = await store_one(inbound("m1"))
    assert again.duplicate
    assert await count(services, Message) == 1
    assert await count(services, Event) == 2


async def test_concurrent_duplicates_store_one_message(
    services: Services, store_one: StoreOne
) -> None:
    results = await asyncio.gather(*(store_one(inbound("same")) for _ in range(8)))
    assert sum(not r.duplicate for r in results) == 1
    assert await count(services, Message) == 1
    assert await count(services, Conversation) == 1


async def test_concurrent_first_messages_from_one_sender_share_a_contact(
    services: Services, store_one: StoreOne
) -> None:
    await asyncio.gather(*(store_one(inbound(f"m{i}")) for i in range(6)))
    assert await count(services, Contact) == 1
    assert await count(services, Message) == 6


async def test_closed_conversation_is_not_reused(services: Services, store_one: StoreOne) -> None:
    from bot.domain import conversations

    first = await store_one(inbound("m1"))
    assert first.conversation_id is not None
    async with services.uow() as tx:
        await conversations.close(tx, first.conversation_id)
    second = await store_one(inbound("m2"))
    assert second.new_conversation and second.conversation_id != first.conversation_id


async def test_visitor_event_opens_a_silent_conversation(
    services: Services, store_one: StoreOne
) -> None:
    conversation_id = await services.inbox.visitor_event(
        "widget", "visitor-1", "visitor.rage_click", {"element": "#pay"}
    )
    reply = InboundMessage(
        channel="widget",
        external_conversation_id="visitor-1",
        external_message_id="c1",
        sender=SenderProfile(external_id="visitor-1"),
        text="help",
    )
    result = await store_one(reply)
    assert result.conversation_id == conversation_id and result.new_conversation
    async with services.db.session() as session:
        types = list(await session.scalars(select(Event.type).order_by(Event.id)))
    assert types == ["visitor.rage_click", "conversation.created", "message.received"]


CRASHER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from bot.core.clock import SystemClock
    from bot.core.config import Settings
    from bot.core.messages import InboundMessage, SenderProfile
    from bot.pipeline.services import build_services

    async def main():
        services = build_services(Settings(_env_file=None, DATABASE_URL=sys.argv[1]), SystemClock())
        message = InboundMessage(channel="telegram", external_conversation_id="c",
            external_message_id="acked-1", sender=SenderProfile(external_id="u"), text="keep me")
        await services.inbox.receive(message)
        print("acked", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


async def test_acknowledged_message_survives_a_crash(services: Services) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHER,
        services.settings.database_url,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    stdout, _ = await proc.communicate()
    assert stdout.strip() == b"acked"
    assert proc.returncode == -9
    async with services.db.session() as session:
        texts = list(await session.scalars(select(Message.text)))
    assert texts == ["keep me"]
