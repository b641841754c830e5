"""PostgreSQL wake-ups: a process heeds the work other processes store, not its own echo."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.core.config import Settings
from bot.core.signals import Signals
from bot.pipeline.services import Services
from bot.storage.db import Database
from bot.storage.pg_notify import EVENTS, OUTBOX, PgListener, asyncpg_dsn, wake_signals
from bot.storage.uow import UnitOfWork
from tests.conftest import fresh_postgres_url
from tests.db_support import PostgresDatabase


@pytest.fixture
async def database_url(postgres_database: PostgresDatabase | None) -> str:
    """PostgreSQL only: NOTIFY is how processes sharing a PostgreSQL database wake each other."""
    return await fresh_postgres_url(postgres_database)


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[Database]:
    """A second process's database handle: its connections carry an origin of their own."""
    database = Database(settings)
    yield database
    await database.close()


async def test_a_process_ignores_its_own_notifications(
    services: Services, settings: Settings, other_process: Database
) -> None:
    assert services.db.dialect == "postgresql"
    assert other_process.origin != services.db.origin
    woken = Signals()  # what the listener wakes, apart from what a local commit wakes
    listener = PgListener(asyncpg_dsn(settings.database_url), origin=services.db.origin)
    wake_signals(listener, woken)
    heard: dict[str, asyncio.Queue[str]] = {EVENTS: asyncio.Queue(), OUTBOX: asyncio.Queue()}
    for channel, queue in heard.items():
        listener.on(channel, queue.put_nowait)  # after the wake handlers: they have run by then
    listening = asyncio.create_task(listener.run(retry_interval=0.1))
    try:
        for queue in heard.values():
            assert await asyncio.wait_for(queue.get(), 10) == ""  # the catch-up after connecting
        woken.events.clear()
        woken.outbox.clear()
        woken.unread_events.clear()

        async with services.uow() as tx:  # this process stores work
            tx.writes.record_event("tag.added", data={"tag": "mine"})
            tx.writes.enqueue("test.kind", {"n": 1})
        for queue in heard.values():
            assert await asyncio.wait_for(queue.get(), 10) == services.db.origin
        assert not woken.events.is_set()
        assert not woken.outbox.is_set()

        other = UnitOfWork(other_process, services.clock, Signals())
        async with other() as tx:  # another process stores work
            tx.writes.record_event("tag.added", data={"tag": "theirs"})
            tx.writes.enqueue("test.kind", {"n": 2})
        for queue in heard.values():
            assert await asyncio.wait_for(queue.get(), 10) == other_process.origin
        assert woken.events.is_set()
        assert woken.outbox.is_set()
        # the process that stored the events delivers them: this one's dispatcher sleeps on
        assert not woken.unread_events.is_set()
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
