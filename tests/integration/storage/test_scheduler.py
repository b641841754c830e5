"""Timers fire once when due, also across a restart; the clock is moved, never slept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.dialects import sqlite

from bot.core.clock import FakeClock
from bot.pipeline.scheduler import DueTimer, Scheduler
from bot.pipeline.services import Services, build_services
from bot.storage.models import Base, Timer
from bot.storage.pipeline.timer_store import mark_fired


async def test_timer_fires_once_across_restart(services: Services, clock: FakeClock) -> None:
    async with services.uow() as tx:
        await tx.schedule("wake", "run:1:wait", clock.now() + timedelta(hours=24), {"run_id": 1})
    fired: list[DueTimer] = []

    async def handler(timer: DueTimer) -> None:
        fired.append(timer)

    services.scheduler.register("wake", handler)
    assert await services.scheduler.drain() == 0
    await services.close()

    # the process restarts: new services on the same database, a day later
    clock.advance(timedelta(hours=24))
    restarted = build_services(services.settings, clock)
    restarted.scheduler.register("wake", handler)
    try:
        assert await restarted.scheduler.drain() == 1
        assert await restarted.scheduler.drain() == 0
        clock.advance(timedelta(days=3))
        assert await restarted.scheduler.drain() == 0
    finally:
        await restarted.close()
    assert [(t.key, t.payload) for t in fired] == [("run:1:wait", {"run_id": 1})]


async def test_rescheduling_replaces_and_cancel_stops(services: Services, clock: FakeClock) -> None:
    fired: list[str] = []

    async def handler(timer: DueTimer) -> None:
        fired.append(timer.key)

    services.scheduler.register("t", handler)
    async with services.uow() as tx:
        await tx.schedule("t", "a", clock.now() + timedelta(minutes=5))
        await tx.schedule("t", "b", clock.now() + timedelta(minutes=5))
    async with services.uow() as tx:
        await tx.schedule("t", "a", clock.now() + timedelta(minutes=30))
        await tx.cancel_timer("b")
    clock.advance(timedelta(minutes=10))
    assert await services.scheduler.drain() == 0
    clock.advance(timedelta(minutes=30))
    assert await services.scheduler.drain() == 1
    assert fired == ["a"]


async def test_failing_handler_is_retried_after_lease(services: Services, clock: FakeClock) -> None:
    attempts = 0

    async def flaky(timer: DueTimer) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("database hiccup")

    services.scheduler.register("flaky", flaky)
    async with services.uow() as tx:
        await tx.schedule("flaky", "f", clock.now())
    assert await services.scheduler.drain() == 0
    clock.advance(timedelta(minutes=5))
    assert await services.scheduler.drain() == 1
    assert attempts == 2


async def test_two_schedulers_fire_each_timer_once(services: Services, clock: FakeClock) -> None:
    fired: list[str] = []

    async def handler(timer: DueTimer) -> None:
        fired.append(timer.key)

    other = Scheduler(services.db, clock, services.signals, services.metrics)
    for scheduler in (services.scheduler, other):
        scheduler.register("t", handler)
    async with services.uow() as tx:
        for i in range(50):
            await tx.schedule("t", f"k{i}", clock.now())
    import asyncio

    await asyncio.gather(services.scheduler.drain(), other.drain())
    assert sorted(fired) == sorted(f"k{i}" for i in range(50))


async def test_a_timer_cancelled_while_it_fires_stays_cancelled(
    services: Services, clock: FakeClock
) -> None:
    async def handler(timer: DueTimer) -> None:
        async with services.uow() as tx:
            await tx.cancel_timer(timer.key)

    services.scheduler.register("t", handler)
    async with services.uow() as tx:
        await tx.schedule("t", "k", clock.now())
    assert await services.scheduler.drain() == 1
    async with services.db.read() as session:
        assert await session.scalar(select(Timer.status).where(Timer.key == "k")) == "cancelled"


def test_marking_timers_fired_looks_them_up_by_primary_key_on_sqlite() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    statement = mark_fired([1, 2, 3], datetime(2026, 1, 1, tzinfo=UTC)).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}").all()
    assert [row[-1] for row in plan] == ["SEARCH timers USING INTEGER PRIMARY KEY (rowid=?)"]


async def _yield_a_while() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_timer_due_later_than_the_wait_does_not_wake_the_scheduler(
    services: Services, clock: FakeClock
) -> None:
    sleeping = asyncio.create_task(services.scheduler._sleep(3600))
    await _yield_a_while()
    async with services.uow() as tx:
        await tx.schedule("wake", "later", clock.now() + timedelta(hours=2))
    await _yield_a_while()
    assert not sleeping.done()  # it would find nothing due: it sleeps on
    async with services.uow() as tx:
        await tx.schedule("wake", "soon", clock.now() + timedelta(seconds=30))
        await tx.schedule("wake", "now", clock.now())
    await asyncio.wait_for(sleeping, 5)  # due now: it looks at once


async def test_a_wake_up_without_a_due_time_wakes_the_scheduler(services: Services) -> None:
    sleeping = asyncio.create_task(services.scheduler._sleep(3600))
    await _yield_a_while()
    services.signals.timers_changed()  # as another process's NOTIFY does
    await asyncio.wait_for(sleeping, 5)


async def test_a_timer_due_before_the_wait_ends_shortens_it(
    services: Services, clock: FakeClock
) -> None:
    sleeping = asyncio.create_task(services.scheduler._sleep(3600))
    await _yield_a_while()
    async with services.uow() as tx:
        await tx.schedule("wake", "soon", clock.now() + timedelta(milliseconds=1))
    await asyncio.wait_for(sleeping, 5)  # an hour's wait ends within a millisecond or so
