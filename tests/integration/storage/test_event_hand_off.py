"""Events handed to the running dispatcher as the transaction that stored them commits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.pipeline.events import DomainEvent
from bot.pipeline.services import Services
from tests.engine_events import statements
from tests.integration.storage.test_inbox import inbound


@contextlib.asynccontextmanager
async def running(services: Services) -> AsyncIterator[None]:
    """The dispatcher's background loop (with a poll that never comes) for the block."""
    loop = asyncio.create_task(services.events.run(poll_interval=3600))
    try:
        yield
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop


async def test_a_running_dispatcher_is_handed_what_a_commit_stored(services: Services) -> None:
    """A transaction that stores events hands them to the running dispatcher as it
    commits, and nothing wakes the dispatcher to look for them. With one process on the
    database it hands the events, read inside it: no look at the events table of the
    dispatcher's own. On PostgreSQL, where other processes deliver too, it hands their
    conversations, whose events the workers read under each conversation's lock."""
    seen: list[tuple[int | None, str]] = []
    arrived = asyncio.Event()

    async def subscriber(event: DomainEvent) -> None:
        seen.append((event.conversation_id, event.type))
        arrived.set()

    async def seen_count(count: int) -> None:
        while len(seen) < count:
            arrived.clear()
            await arrived.wait()

    services.events.subscribe(subscriber)
    await services.inbox.receive(inbound("m0", chat="A", sender="a"))
    async with running(services):
        await asyncio.wait_for(seen_count(2), 10)  # stored before it ran: its first look
        with statements(services) as sent, statements(services, reads=False) as written:
            await services.inbox.receive(inbound("m1", chat="A", sender="a"))
            await services.inbox.receive(inbound("m2", chat="B", sender="b"))
            await asyncio.wait_for(seen_count(5), 10)
            await asyncio.wait_for(services.events.stop(), 10)  # marked too
    first = seen[0][0]
    (second,) = {c for c, _ in seen} - {first}
    assert [t for c, t in seen if c == first] == [
        "conversation.created",
        "message.received",
        "message.received",
    ]
    assert [t for c, t in seen if c == second] == ["conversation.created", "message.received"]
    assert await services.events.pending() == 0
    assert not services.signals.unread_events.is_set()
    looks = [s for s in sent if "FROM events" in s and "delivered_at IS NULL" in s]
    if services.db.dialect == "postgresql":
        assert looks  # the workers' reads under the conversations' locks
        assert not [s for s in looks if "GROUP BY" in s]  # no look for keys with events
        return
    inside = [s for s in written if s in looks]
    assert len(inside) == len(looks) == 2  # one in each storing transaction, none elsewhere


async def test_handed_over_events_keep_each_conversations_order(services: Services) -> None:
    """Messages of two conversations stored side by side while the dispatcher runs reach
    the subscriber once each, each conversation's in the order they were stored."""
    seen: list[DomainEvent] = []
    arrived = asyncio.Event()

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event)
        arrived.set()
        await asyncio.sleep(0)  # let the other conversation interleave

    services.events.subscribe(subscriber)
    async with running(services):
        for n in range(6):
            await asyncio.gather(
                services.inbox.receive(inbound(f"a{n}", text=f"a{n}", chat="A", sender="a")),
                services.inbox.receive(inbound(f"b{n}", text=f"b{n}", chat="B", sender="b")),
            )
        while len(seen) < 14:  # on PostgreSQL the last commit's wake-up may still be ahead
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 10)
        await asyncio.wait_for(services.events.stop(), 10)
    assert len({event.id for event in seen}) == len(seen) == 14
    by_conversation: dict[int | None, list[DomainEvent]] = {}
    for event in seen:
        by_conversation.setdefault(event.conversation_id, []).append(event)
    assert len(by_conversation) == 2
    for events in by_conversation.values():
        assert [e.type for e in events] == ["conversation.created"] + ["message.received"] * 6
        assert [e.id for e in events] == sorted(e.id for e in events)
        messages = [e.message_id or 0 for e in events[1:]]
        assert messages == sorted(messages)
