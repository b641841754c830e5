"""Journal lanes on PostgreSQL: two processes store different conversations at once,
and each conversation in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.pipeline.journal_lanes import lane_number
from bot.pipeline.services import Services, build_services
from bot.storage.models import InboundJournalEntry
from bot.storage.pg_notify import asyncpg_dsn
from bot.storage.pipeline.journal_store import LANE_LOCKS
from tests.conftest import fresh_postgres_url
from tests.db_support import PostgresDatabase
from tests.integration.storage.test_journal import conversation_texts, normalize, payload

LANES = 64


def chats_in_two_lanes() -> tuple[int, int]:
    """Two chats of the test channel whose conversations are in different lanes."""
    first = 1
    second = next(
        chat
        for chat in range(2, 100)
        if lane_number("test", str(chat), LANES) != lane_number("test", str(first), LANES)
    )
    return first, second


@pytest.fixture
async def database_url(postgres_database: PostgresDatabase | None) -> str:
    """PostgreSQL only: lanes are held against other processes there."""
    return await fresh_postgres_url(postgres_database)


@pytest.fixture
async def other(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """A second process on the same database (its own engine and connections)."""
    built = build_services(settings, clock)
    yield built
    await built.close()


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until ``condition`` holds (it is waiting on another connection's progress)."""
    for _ in range(1000):  # at most ten seconds
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def test_the_door_records_each_conversations_lane(services: Services) -> None:
    services.journal_processor.register("test", normalize)
    await services.journal.append("test", "a", payload(1, chat=7))
    await services.journal.append("test", "bad", {"text": "no chat"})
    await services.journal.append("unread", "c", payload(2, chat=7))
    async with services.db.session() as session:
        lanes = dict(
            (
                await session.execute(
                    select(InboundJournalEntry.external_id, InboundJournalEntry.lane)
                )
            ).all()
        )
    assert lanes == {"a": lane_number("test", "7", LANES), "bad": 0, "c": 0}


async def test_two_processes_store_different_lanes_at_the_same_time(
    services: Services, other: Services, settings: Settings
) -> None:
    x, y = chats_in_two_lanes()
    lane_x = lane_number("test", str(x), LANES)
    for process in (services, other):
        process.journal_processor.register("test", normalize)
    await services.journal.append("test", "x1", payload(1, chat=x))
    assert await services.journal_processor.drain() == 1  # chat x's conversation exists
    await services.journal.append("test", "x2", payload(2, chat=x))
    await services.journal.append("test", "y3", payload(3, chat=y))
    await services.journal.append("test", "x4", payload(4, chat=x))

    blocker = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        # an outside transaction holds chat x's conversation row: the first process's
        # transaction on lane x stops there, holding its lane
        holding = blocker.transaction()
        await holding.start()
        await blocker.execute(
            "SELECT id FROM conversations WHERE external_id = $1 FOR UPDATE", str(x)
        )
        services.journal_processor.turns.start = lane_x
        first = asyncio.create_task(services.journal_processor.run_once())

        async def first_holds_lane_x_and_waits() -> bool:
            held = await blocker.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = $1 AND objid = $2 AND objsubid = 2",
                LANE_LOCKS,
                lane_x,
            )
            waiting = await blocker.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted")
            return bool(held and waiting)

        await until(first_holds_lane_x_and_waits, "the first process holds lane x, waiting")
        assert await other.journal_processor.run_once() == 1  # lane y, meanwhile
        assert await conversation_texts(other) != {}
        assert ["message 3"] in (await conversation_texts(other)).values()
        assert not first.done()
        await holding.rollback()
        assert await first == 2  # x2 and x4, in one transaction
    finally:
        await blocker.close()
    assert await services.journal_processor.drain() == 0
    assert await other.journal_processor.drain() == 0
    assert sorted((await conversation_texts(services)).values()) == [
        ["message 1", "message 2", "message 4"],
        ["message 3"],
    ]


async def test_a_lane_held_elsewhere_is_waited_for_then_processed(
    services: Services, other: Services
) -> None:
    """While another process holds the only lane with work, drain waits; then it stores it."""
    x, _ = chats_in_two_lanes()
    lane_x = lane_number("test", str(x), LANES)
    for process in (services, other):
        process.journal_processor.register("test", normalize)
    await services.journal.append("test", "x1", payload(1, chat=x))
    async with other.uow() as tx:
        held = await tx.session.connection()
        locked = await held.exec_driver_sql(
            f"SELECT pg_try_advisory_xact_lock({LANE_LOCKS}, {lane_x})"
        )
        assert locked.scalar() is True
        assert await services.journal_processor.run_once() is None
        drained = asyncio.create_task(services.journal_processor.drain())
        await asyncio.sleep(0)
        assert not drained.done()
    assert await drained == 1
    assert list((await conversation_texts(services)).values()) == [["message 1"]]
