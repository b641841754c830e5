"""Two dispatchers on one PostgreSQL database, as two processes: each event once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.core.config import Settings
from bot.pipeline.event_claims import AdvisoryClaims
from bot.pipeline.events import DomainEvent, EventDispatcher, Subscriber
from bot.pipeline.services import Services
from bot.storage.advisory_locks import AdvisoryLocks
from bot.storage.pg_notify import asyncpg_dsn
from tests.conftest import fresh_postgres_url
from tests.db_support import PostgresDatabase
from tests.integration.storage.test_inbox import inbound


@pytest.fixture
async def database_url(postgres_database: PostgresDatabase | None) -> str:
    """PostgreSQL only: cross-process claims are a PostgreSQL feature (SQLite runs one process)."""
    return await fresh_postgres_url(postgres_database)


@pytest.fixture
async def postgres(services: Services) -> Services:
    assert services.db.dialect == "postgresql"
    return services


@pytest.fixture
async def other_locks(settings: Settings) -> AsyncIterator[AdvisoryLocks]:
    """The lock connection of a second process."""
    locks = AdvisoryLocks(asyncpg_dsn(settings.database_url))
    yield locks
    await locks.close()


def second_process(services: Services, locks: AdvisoryLocks) -> EventDispatcher:
    return EventDispatcher(
        services.db, services.clock, services.signals, claims=AdvisoryClaims(locks)
    )


async def test_two_processes_deliver_each_event_once_in_order(
    postgres: Services, other_locks: AdvisoryLocks
) -> None:
    services = postgres
    first = services.events
    assert isinstance(first.claims, AdvisoryClaims)
    second = second_process(services, other_locks)
    seen: list[tuple[str, int | None, int]] = []

    def recorder(name: str) -> Subscriber:
        async def subscriber(event: DomainEvent) -> None:
            seen.append((name, event.conversation_id, event.id))
            await asyncio.sleep(0)  # let the other process interleave

        return subscriber

    first.subscribe(recorder("one"))
    second.subscribe(recorder("two"))
    for i in range(30):
        await services.inbox.receive(inbound(f"m{i}", chat=f"chat-{i % 5}", sender=f"user-{i % 5}"))
    await asyncio.gather(first.drain(), second.drain(), first.drain(), second.drain())
    await first.drain()
    ids = [event_id for _, _, event_id in seen]
    assert len(ids) == len(set(ids)) == 35  # 30 messages and 5 new conversations, once each
    for conversation in {c for _, c, _ in seen}:
        mine = [event_id for _, c, event_id in seen if c == conversation]
        assert mine == sorted(mine)
    assert await services.events.pending() == 0


async def test_a_conversation_held_by_another_process_waits_for_it(
    postgres: Services, other_locks: AdvisoryLocks
) -> None:
    services = postgres
    seen: list[str] = []

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)

    services.events.subscribe(subscriber)
    stored = await services.inbox.receive(inbound("m1"))
    key = f"conversation:{stored.conversation_id}"
    async with other_locks.hold(key):
        await services.events.drain()
        assert seen == []  # the other process works on this conversation now
        assert await services.events.pending() == 2
    await services.events.drain()
    assert seen == ["conversation.created", "message.received"]
    assert await services.events.pending() == 0


async def test_a_dead_process_frees_its_conversations_at_once(
    postgres: Services, settings: Settings
) -> None:
    services = postgres
    assert isinstance(services.locks, AdvisoryLocks)
    doomed = AdvisoryLocks(asyncpg_dsn(settings.database_url))
    async with doomed.try_hold("conversation:7") as held:
        assert held
        async with services.locks.try_hold("conversation:7") as mine:
            assert not mine
        await doomed.close()  # the process's connection is gone, as when it is killed
        async with services.locks.try_hold("conversation:7") as mine:
            assert mine


class CountedLocks(AdvisoryLocks):
    """Advisory locks that count the round trips their tries take."""

    tries = 0

    async def _try_many(self, ids: list[int]) -> list[bool]:
        self.tries += 1
        return await super()._try_many(ids)


async def test_many_keys_are_tried_and_unlocked_in_few_round_trips(
    postgres: Services, settings: Settings, other_locks: AdvisoryLocks
) -> None:
    """Tries asked for together go in one round trip, each caller gets its own answer,
    and the unlocks free every key for another process."""
    locks = CountedLocks(asyncpg_dsn(settings.database_url))
    keys = [f"conversation:{n}" for n in range(40)]
    taken_elsewhere = set(keys[::4])
    try:
        for key in taken_elsewhere:
            assert await other_locks._try(key)
        release = asyncio.Event()
        all_answered = asyncio.Event()
        answers: dict[str, bool] = {}

        async def holder(key: str) -> None:
            async with locks.try_hold(key) as held:
                answers[key] = held
                if len(answers) == len(keys):
                    all_answered.set()
                await release.wait()

        tasks = [asyncio.create_task(holder(key)) for key in keys]
        await asyncio.wait_for(all_answered.wait(), 30)
        assert answers == {key: key not in taken_elsewhere for key in keys}
        assert locks.tries <= 3
        release.set()
        await asyncio.gather(*tasks)
        for key in keys:
            if key not in taken_elsewhere:
                async with other_locks.try_hold(key) as held:
                    assert held, f"{key} was not unlocked"
    finally:
        await locks.close()


class RefusedLocks(AdvisoryLocks):
    """Advisory locks that tell when a try found a key held elsewhere."""

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
        self.refused = asyncio.Event()

    async def _try_many(self, ids: list[int]) -> list[bool]:
        answers = await super()._try_many(ids)
        if not all(answers):
            self.refused.set()
        return answers


async def test_a_handed_conversation_another_process_holds_is_tried_again(
    postgres: Services, settings: Settings, other_locks: AdvisoryLocks
) -> None:
    """The process that stored an event delivers it: its commit hands the conversation to
    its running dispatcher, and nothing wakes anyone to look. When another process holds
    the conversation at that moment, the dispatcher tries again shortly (its sweep here
    would come only in an hour)."""
    services = postgres
    locks = RefusedLocks(asyncpg_dsn(settings.database_url))
    dispatcher = second_process(services, locks)
    services.uow.hand_off = dispatcher
    seen: list[str] = []
    arrived = asyncio.Event()

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)
        arrived.set()

    async def seen_count(count: int) -> None:
        while len(seen) < count:
            arrived.clear()
            await arrived.wait()

    dispatcher.subscribe(subscriber)
    running = asyncio.create_task(dispatcher.run(poll_interval=3600))
    try:
        stored = await services.inbox.receive(inbound("m1"))
        await asyncio.wait_for(seen_count(2), 10)
        async with other_locks.hold(f"conversation:{stored.conversation_id}"):
            await services.inbox.receive(inbound("m2"))
            await asyncio.wait_for(locks.refused.wait(), 10)  # its first try found it held
            assert seen == ["conversation.created", "message.received"]
        await asyncio.wait_for(seen_count(3), 10)
        await asyncio.wait_for(dispatcher.stop(), 10)
        assert seen == ["conversation.created", "message.received", "message.received"]
        assert not services.signals.unread_events.is_set()
        assert await dispatcher.pending() == 0
        assert dispatcher.owed == 0
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await locks.close()


async def test_a_key_handed_while_its_worker_delivers_is_read_by_that_worker(
    postgres: Services, settings: Settings
) -> None:
    """A conversation handed over while this process's worker is delivering its earlier
    events is read again by that worker, and nothing is left owed for it."""
    services = postgres
    locks = AdvisoryLocks(asyncpg_dsn(settings.database_url))
    dispatcher = second_process(services, locks)
    services.uow.hand_off = dispatcher
    seen: list[str] = []
    busy, go_on = asyncio.Event(), asyncio.Event()

    async def subscriber(event: DomainEvent) -> None:
        seen.append(event.type)
        busy.set()
        await go_on.wait()

    dispatcher.subscribe(subscriber)
    running = asyncio.create_task(dispatcher.run(poll_interval=3600))
    try:
        await services.inbox.receive(inbound("m1"))
        await asyncio.wait_for(busy.wait(), 10)  # the worker holds the conversation
        await services.inbox.receive(inbound("m2"))
        assert dispatcher.owed == 1
        go_on.set()
        while len(seen) < 3:
            busy.clear()
            await asyncio.wait_for(busy.wait(), 10)
        await asyncio.wait_for(dispatcher.stop(), 10)
        assert seen == ["conversation.created", "message.received", "message.received"]
        assert dispatcher.owed == 0
        assert await dispatcher.pending() == 0
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await locks.close()
