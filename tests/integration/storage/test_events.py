"""Domain events reach subscribers after commit, in order per conversation, at least once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text

from bot.pipeline.event_claims import AdvisoryClaims, EventClaims, InProcessClaims
from bot.pipeline.events import DomainEvent, EventDispatcher
from bot.pipeline.services import Services
from bot.storage.advisory_locks import AdvisoryLocks
from bot.storage.models import Event
from tests.integration.storage.test_inbox import inbound


def claims_of(services: Services) -> EventClaims:
    """The claim strategy the services' own dispatcher uses on their database."""
    if isinstance(services.locks, AdvisoryLocks):
        return AdvisoryClaims(services.locks)
    return InProcessClaims()


def another_dispatcher(services: Services) -> EventDispatcher:
    """A dispatcher like the services' own, as a restarted process builds it."""
    return EventDispatcher(
        services.db, services.clock, services.signals, claims=claims_of(services)
    )


async def test_the_services_claim_events_as_their_database_needs(services: Services) -> None:
    expected = AdvisoryClaims if services.db.dialect == "postgresql" else InProcessClaims
    assert isinstance(services.events.claims, expected)


async def test_events_after_commit_and_in_order(services: Services) -> None:
    seen: list[tuple[int | None, str, str | None]] = []

    async def subscriber(event: DomainEvent) -> None:
        # the row that caused the event is already committed and visible
        async with services.db.session() as session:
            stored = await session.get(Event, event.id)
        assert stored is not None
        seen.append((event.conversation_id, event.type, event.data.get("kind")))
        await asyncio.sleep(0)  # let other conversations interleave

    services.events.subscribe(subscriber)
    first = await services.inbox.receive(inbound("a1", chat="A", sender="a"))
    second = await services.inbox.receive(inbound("b1", chat="B", sender="b"))
    await services.inbox.receive(inbound("a2", chat="A", sender="a"))
    await services.inbox.receive(inbound("b2", chat="B", sender="b"))
    await services.events.drain()
    for conversation_id in (first.conversation_id, second.conversation_id):
        mine = [t for c, t, _ in seen if c == conversation_id]
        assert mine == ["conversation.created", "message.received", "message.received"]
    assert len(seen) == 6


async def test_rolled_back_change_publishes_nothing(services: Services) -> None:
    seen: list[DomainEvent] = []

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event)

    services.events.subscribe(subscriber)
    try:
        async with services.uow() as tx:
            tx.writes.record_event("tag.added", data={"tag": "x"})
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    await services.events.drain()
    assert seen == []


async def test_undelivered_events_are_redelivered_after_restart(services: Services) -> None:
    await services.inbox.receive(inbound("m1"))
    # a process that stored the event but crashed before delivering it: a new
    # dispatcher (as after a restart) delivers it
    seen: list[str] = []

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)

    restarted = another_dispatcher(services)
    restarted.subscribe(subscriber)
    await restarted.drain()
    assert seen == ["conversation.created", "message.received"]
    async with services.db.session() as session:
        pending = list(await session.scalars(select(Event.id).where(Event.delivered_at.is_(None))))
    assert pending == []
    again = another_dispatcher(services)
    again.subscribe(subscriber)
    await again.drain()
    assert len(seen) == 2


async def test_a_failing_subscriber_does_not_block_others(services: Services) -> None:
    seen: list[str] = []

    async def broken(event: DomainEvent) -> None:
        raise ValueError("boom")

    async def healthy(event: DomainEvent) -> None:
        seen.append(event.type)

    services.events.subscribe(broken)
    services.events.subscribe(healthy)
    await services.inbox.receive(inbound("m1"))
    await services.events.drain()
    assert seen == ["conversation.created", "message.received"]


async def _delivered_at(services: Services) -> dict[str, bool]:
    async with services.db.read() as session:
        rows = (await session.execute(select(Event.type, Event.delivered_at))).all()
    return {type_: delivered is not None for type_, delivered in rows}


async def test_an_event_no_subscriber_wants_is_stored_delivered(services: Services) -> None:
    seen: list[str] = []

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)

    services.events.subscribe(subscriber, lambda type_, _data: type_ == "message.received")
    services.events.interest.seal()  # as the dispatcher's loop does when it starts
    await services.inbox.receive(inbound("m1"))
    assert await _delivered_at(services) == {
        "conversation.created": True,
        "message.received": False,
    }
    await services.events.drain()
    assert seen == ["message.received"]
    assert await _delivered_at(services) == {"conversation.created": True, "message.received": True}


async def test_until_the_loop_starts_every_event_is_wanted(services: Services) -> None:
    seen: list[str] = []

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)

    services.events.subscribe(subscriber, lambda type_, _data: type_ == "message.received")
    await services.inbox.receive(inbound("m1"))
    assert await _delivered_at(services) == {
        "conversation.created": False,
        "message.received": False,
    }
    await services.events.drain()
    assert seen == ["conversation.created", "message.received"]


async def test_a_subscriber_without_an_interest_wants_everything(services: Services) -> None:
    seen: list[str] = []

    async def narrow(event: DomainEvent) -> None:
        pass

    async def everything(event: DomainEvent) -> None:
        seen.append(event.type)

    services.events.subscribe(narrow, lambda _type, _data: False)
    services.events.subscribe(everything)
    services.events.interest.seal()
    await services.inbox.receive(inbound("m1"))
    await services.events.drain()
    assert seen == ["conversation.created", "message.received"]


async def test_a_conversations_events_are_marked_delivered_together_once_handled(
    services: Services,
) -> None:
    undelivered_while_handling: list[dict[str, bool]] = []

    async def subscriber(event: DomainEvent) -> None:
        undelivered_while_handling.append(await _delivered_at(services))

    services.events.subscribe(subscriber)
    await services.inbox.receive(inbound("m1"))
    await services.events.drain()
    assert undelivered_while_handling[-1] == {
        "conversation.created": False,
        "message.received": False,
    }
    assert await _delivered_at(services) == {"conversation.created": True, "message.received": True}


_REFUSE_MARKS = {
    "sqlite": [
        "CREATE TRIGGER refuse_marks BEFORE UPDATE OF delivered_at ON events "
        "BEGIN SELECT RAISE(ABORT, 'marks refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_marks() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'marks refused'; END $$",
        "CREATE TRIGGER refuse_marks BEFORE UPDATE OF delivered_at ON events "
        "FOR EACH ROW EXECUTE FUNCTION refuse_marks()",
    ],
}
_ACCEPT_MARKS = {
    "sqlite": ["DROP TRIGGER refuse_marks"],
    "postgresql": ["DROP TRIGGER refuse_marks ON events", "DROP FUNCTION refuse_marks()"],
}


async def _run_ddl(services: Services, statements: list[str]) -> None:
    async with services.db.session() as session:
        for statement in statements:
            await session.execute(text(statement))


async def test_a_failed_mark_is_tried_again_and_the_conversation_goes_on(
    services: Services,
) -> None:
    seen: list[str] = []

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)

    dispatcher = another_dispatcher(services)
    dispatcher.subscribe(subscriber)
    await _run_ddl(services, _REFUSE_MARKS[services.db.dialect])
    await services.inbox.receive(inbound("m1"))
    await asyncio.wait_for(dispatcher.drain(), 30)
    assert seen == ["conversation.created", "message.received"]
    assert await _delivered_at(services) == {
        "conversation.created": False,
        "message.received": False,
    }
    # the idle loop's sweep of every undelivered event, while the marks are still owed,
    # delivers nothing twice
    dispatcher.rewind()
    await asyncio.wait_for(dispatcher.drain(), 30)
    assert len(seen) == 2

    await _run_ddl(services, _ACCEPT_MARKS[services.db.dialect])
    await services.inbox.receive(inbound("m2"))  # the same conversation: its worker must still run
    await asyncio.wait_for(dispatcher.drain(), 30)
    assert seen == ["conversation.created", "message.received", "message.received"]
    async with services.db.read() as session:
        pending = list(await session.scalars(select(Event.id).where(Event.delivered_at.is_(None))))
    assert pending == []


async def test_a_detached_subscriber_holds_up_no_other_and_is_done_before_the_mark(
    services: Services,
) -> None:
    """The key's next event reaches the runner-like subscriber while the detached one is
    still busy with the first; the detached one gets every event in order; nothing is
    marked delivered before it finished."""
    busy = asyncio.Event()
    release = asyncio.Event()
    attached: list[str] = []
    detached: list[str] = []
    all_attached = asyncio.Event()

    async def runner_like(event: DomainEvent) -> None:
        attached.append(event.type)
        if len(attached) == 3:
            all_attached.set()

    async def mirror_like(event: DomainEvent) -> None:
        if not detached:
            busy.set()
            await release.wait()
        detached.append(event.type)

    services.events.subscribe(runner_like)
    services.events.subscribe(mirror_like, detached=True)
    await services.inbox.receive(inbound("m1", chat="A", sender="a"))
    await services.inbox.receive(inbound("m2", chat="A", sender="a"))
    draining = asyncio.create_task(services.events.drain())
    await asyncio.wait_for(busy.wait(), 10)
    await asyncio.wait_for(all_attached.wait(), 10)  # the mirror holds the first event
    assert attached == ["conversation.created", "message.received", "message.received"]
    assert detached == []
    assert await services.events.pending() == 3
    release.set()
    await asyncio.wait_for(draining, 10)
    assert detached == ["conversation.created", "message.received", "message.received"]
    assert await services.events.pending() == 0


async def test_a_detached_subscriber_yields_to_the_customers_work(services: Services) -> None:
    """With one process on the database the mirror-like subscriber gets nothing while a
    customer's work is under way, and the conversation's next message reaches the
    runner-like one meanwhile; its events are marked once the mirror had them. With
    several processes (PostgreSQL) a key's worker marks its events before it lets the key
    go, so the detached work it waits for does not yield."""
    attached: list[str] = []
    detached: list[str] = []
    arrived = asyncio.Event()

    async def runner_like(event: DomainEvent) -> None:
        attached.append(event.type)
        arrived.set()

    async def mirror_like(event: DomainEvent) -> None:
        detached.append(event.type)

    async def attached_count(count: int) -> None:
        while len(attached) < count:
            arrived.clear()
            await arrived.wait()

    services.events.subscribe(runner_like)
    services.events.subscribe(mirror_like, detached=True)
    foreground = services.signals.foreground
    foreground.begin()  # a customer's send under way
    try:
        await services.inbox.receive(inbound("m1", chat="A", sender="a"))
        if services.db.dialect == "postgresql":
            await asyncio.wait_for(services.events.drain(), 10)
            assert detached == attached == ["conversation.created", "message.received"]
            return
        draining = asyncio.create_task(services.events.drain())
        await asyncio.wait_for(attached_count(2), 10)
        await services.inbox.receive(inbound("m2", chat="A", sender="a"))
        await services.events.pump()
        await asyncio.wait_for(attached_count(3), 10)
        assert detached == []
        assert await services.events.pending() == 3
        assert not draining.done()  # idle only once the detached work is done
    finally:
        foreground.end()
    await asyncio.wait_for(draining, 10)
    assert detached == ["conversation.created", "message.received", "message.received"]
    assert await services.events.pending() == 0
