"""Timers and leases across a restart and clock jumps: each due timer fires once, none early,
a jump backwards refires nothing. The clock is a FakeClock, moved and set, never slept.

(A single timer across a restart is in tests/integration/storage/test_scheduler.py.)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core.clock import FakeClock
from bot.pipeline.scheduler import DueTimer
from bot.pipeline.services import Services, build_services
from bot.storage.pipeline.outbox_items import Delivery
from tests.conftest import make_settings
from tests.integration.runner.flows import start


async def schedule_many(services: Services, clock: FakeClock, hours: list[int]) -> None:
    async with services.uow() as tx:
        for n, hour in enumerate(hours):
            await tx.schedule("wake", f"t{n}", clock.now() + timedelta(hours=hour), {"n": n})


async def test_a_jump_over_many_due_timers_fires_each_once_in_order(
    services: Services, clock: FakeClock
) -> None:
    hours = [h * 7 % 170 + 1 for h in range(60)]  # spread over a week, out of order
    await schedule_many(services, clock, hours)
    await services.close()

    fired: list[int] = []

    async def handler(timer: DueTimer) -> None:
        fired.append(int(timer.payload["n"]))

    restarted = build_services(services.settings, clock)
    restarted.scheduler.register("wake", handler)
    try:
        clock.advance(timedelta(minutes=59))
        assert await restarted.scheduler.drain() == 0  # none early
        clock.advance(timedelta(days=10))
        assert await restarted.scheduler.drain() == 60
        assert await restarted.scheduler.drain() == 0
    finally:
        await restarted.close()
    assert sorted(fired) == list(range(60))
    assert [hours[n] for n in fired] == sorted(hours)


async def test_a_jump_backwards_refires_nothing_and_fires_nothing_early(
    services: Services, clock: FakeClock
) -> None:
    fired: list[int] = []

    async def handler(timer: DueTimer) -> None:
        fired.append(int(timer.payload["n"]))

    services.scheduler.register("wake", handler)
    start_time = clock.now()
    await schedule_many(services, clock, [1, 2, 48])
    clock.advance(timedelta(hours=2))
    assert await services.scheduler.drain() == 2
    assert fired == [0, 1]

    clock.set(start_time - timedelta(days=1))  # the clock is put back a day
    assert await services.scheduler.drain() == 0
    clock.set(start_time + timedelta(hours=47, minutes=59))
    assert await services.scheduler.drain() == 0
    clock.set(start_time + timedelta(hours=48))
    assert await services.scheduler.drain() == 1
    clock.set(start_time)
    assert await services.scheduler.drain() == 0
    assert fired == [0, 1, 2]


async def test_a_waiting_run_continues_once_across_restart_and_jumps(
    services: Services, tmp_path: Path, clock: FakeClock
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: later
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: "See you tomorrow"}
          - {type: wait, duration: 24h}
          - {type: send_message, text: "Good morning"}
        """,
    )
    await bot.say("hi")
    assert bot.take() == ["See you tomorrow"]
    start_time = clock.now()
    await services.close()

    restarted = build_services(services.settings, clock)
    again = await type(bot).start(restarted)
    try:
        clock.set(start_time - timedelta(hours=3))
        await again.settle()
        clock.set(start_time + timedelta(hours=23, minutes=59))
        await again.settle()
        assert again.take() == []
        clock.advance(timedelta(days=5))
        await again.settle()
        clock.set(start_time + timedelta(hours=1))
        await again.settle()
        clock.advance(timedelta(days=30))
        await again.settle()
        assert again.take() == ["Good morning"]
        (run,) = await again.runs()
        assert run.status == "completed"
    finally:
        await restarted.close()


async def test_an_item_claimed_by_a_dead_process_goes_out_after_the_lease(
    sqlite_url: str, clock: FakeClock
) -> None:
    settings = make_settings(sqlite_url, RELAYBOT_OUTBOX_LEASE=30)
    dead = build_services(settings, clock)
    sent: list[str] = []

    async def handler(delivery: Delivery) -> None:
        sent.append(str(delivery.payload["text"]))

    dead.outbox.register("test", handler)
    async with dead.uow() as tx:
        tx.writes.enqueue("test", {"text": "hello"}, destination="chat-1")
        tx.writes.enqueue("test", {"text": "again"}, destination="chat-1")
    claimed = await dead.outbox._claim(10)  # the process claims both, then dies
    assert len(claimed) == 2
    await dead.close()

    restarted = build_services(settings, clock)
    restarted.outbox.register("test", handler)
    try:
        clock.advance(timedelta(seconds=29))
        assert await restarted.outbox.run_once() == 0
        clock.advance(timedelta(seconds=1))
        await restarted.outbox.drain()
    finally:
        await restarted.close()
    assert sent == ["hello", "again"]
