"""The single way out: retries with backoff, retry-after, dead items, order per destination."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import FakeClock
from bot.core.errors import BadRequestError, RateLimitedError, UnavailableError
from bot.core.signals import Signals
from bot.pipeline.outbox import Outbox
from bot.pipeline.services import Services
from bot.storage.models import OutboxItem
from bot.storage.pipeline.outbox_items import Delivery, Finish
from bot.storage.uow import UnitOfWork

T = TypeVar("T")


async def enqueue(services: Services, kind: str, destination: str = "", **payload: object) -> int:
    key = uuid.uuid4().hex
    async with services.uow() as tx:
        tx.writes.enqueue(kind, dict(payload), destination=destination, key=key)
    async with services.db.read() as session:
        item_id = await session.scalar(
            select(OutboxItem.id).where(OutboxItem.idempotency_key == key)
        )
    assert item_id is not None
    return int(item_id)


async def item(services: Services, item_id: int) -> OutboxItem:
    async with services.db.session() as session:
        row = await session.get(OutboxItem, item_id)
        assert row is not None
        return row


def limited_once(sent: list[str], text: str) -> Callable[[Delivery], Awaitable[None]]:
    """A handler that answers a 429 (Retry-After 30 s) the first time it is given ``text``,
    and otherwise adds what it sends to ``sent``."""
    limited = {text}

    async def handler(delivery: Delivery) -> None:
        sending = str(delivery.payload["text"])
        if sending in limited:
            limited.discard(sending)
            raise RateLimitedError("429", retry_after=30)
        sent.append(sending)

    return handler


async def test_delivered_once(services: Services) -> None:
    got: list[Delivery] = []

    async def handler(delivery: Delivery) -> None:
        got.append(delivery)

    services.outbox.register("test", handler)
    item_id = await enqueue(services, "test", text="hi")
    await services.outbox.drain()
    await services.outbox.drain()
    assert [d.payload for d in got] == [{"text": "hi"}]
    assert (await item(services, item_id)).status == "done"


async def test_retry_with_backoff_then_success(services: Services, clock: FakeClock) -> None:
    calls: list[int] = []

    async def flaky(delivery: Delivery) -> None:
        calls.append(delivery.attempts)
        if len(calls) < 3:
            raise UnavailableError("503 from platform")

    services.outbox.rng = random.Random(7)
    services.outbox.register("flaky", flaky)
    item_id = await enqueue(services, "flaky")
    await services.outbox.drain()
    row = await item(services, item_id)
    assert row.status == "pending" and row.attempts == 1 and row.last_error == "503 from platform"
    first_delay = row.next_attempt_at - clock.now()
    assert timedelta(seconds=0.5) <= first_delay <= timedelta(seconds=1)
    await services.outbox.drain()
    assert calls == [0]  # not due yet: nothing happens without the clock moving
    clock.advance(first_delay)
    await services.outbox.drain()
    row = await item(services, item_id)
    second_delay = row.next_attempt_at - clock.now()
    assert timedelta(seconds=1) <= second_delay <= timedelta(seconds=2)  # exponential
    clock.advance(second_delay)
    await services.outbox.drain()
    assert calls == [0, 1, 2]
    assert (await item(services, item_id)).status == "done"
    assert services.metrics.outbox_retries.labels("flaky")._value.get() == 2


async def test_retry_after_is_honoured(services: Services, clock: FakeClock) -> None:
    async def limited(delivery: Delivery) -> None:
        raise RateLimitedError("429", retry_after=30)

    services.outbox.register("limited", limited)
    item_id = await enqueue(services, "limited")
    await services.outbox.drain()
    row = await item(services, item_id)
    assert row.next_attempt_at - clock.now() == timedelta(seconds=30)


async def test_dead_after_max_attempts(services: Services, clock: FakeClock) -> None:
    dead: list[tuple[int, str]] = []

    async def always_down(delivery: Delivery) -> None:
        raise UnavailableError("down")

    async def on_dead(delivery: Delivery, reason: str) -> None:
        dead.append((delivery.id, reason))

    services.outbox.register("down", always_down, on_dead=on_dead)
    item_id = await enqueue(services, "down")
    for _ in range(services.settings.outbox_max_attempts):
        await services.outbox.drain()
        clock.advance(timedelta(hours=1))
    row = await item(services, item_id)
    assert row.status == "dead" and row.attempts == services.settings.outbox_max_attempts
    assert dead == [(item_id, f"down (after {row.attempts} attempts)")]
    assert services.metrics.outbox_dead.labels("down")._value.get() == 1


async def test_permanent_error_is_not_retried(services: Services) -> None:
    calls = 0

    async def bad(delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        raise BadRequestError("chat not found")

    services.outbox.register("bad", bad)
    item_id = await enqueue(services, "bad")
    await services.outbox.drain()
    row = await item(services, item_id)
    assert (row.status, row.attempts, row.last_error, calls) == ("dead", 1, "chat not found", 1)


async def test_order_kept_per_destination(services: Services, clock: FakeClock) -> None:
    sent: list[str] = []
    fail_once = {"first"}

    async def handler(delivery: Delivery) -> None:
        text = str(delivery.payload["text"])
        if text in fail_once:
            fail_once.discard(text)
            raise UnavailableError("blip")
        sent.append(text)

    services.outbox.register("ordered", handler)
    for text in ("first", "second", "third"):
        await enqueue(services, "ordered", "chat-1", text=text)
    await enqueue(services, "ordered", "chat-2", text="other chat")
    await services.outbox.drain()
    assert sent == ["other chat"]  # chat-1 waits behind its failed first message
    clock.advance(timedelta(minutes=1))
    await services.outbox.drain()
    assert sent == ["other chat", "first", "second", "third"]


async def test_unknown_kind_stays_pending(services: Services) -> None:
    item_id = await enqueue(services, "nobody-handles-this")
    assert await services.outbox.run_once() == 0
    assert (await item(services, item_id)).status == "pending"


async def test_a_second_dispatcher_does_not_take_claimed_items(services: Services) -> None:
    async def handler(delivery: Delivery) -> None:
        raise AssertionError("must not be delivered twice")

    await enqueue(services, "claimed")
    other = Outbox(
        services.db, services.clock, services.signals, services.metrics, services.settings
    )
    other.register("claimed", handler)
    services.outbox.register("claimed", handler)
    claimed = await services.outbox._claim(10)
    assert len(claimed) == 1
    assert await other.run_once() == 0
    async with services.db.session() as session:
        assert (await session.scalar(select(OutboxItem.status))) == "pending"


async def test_dispatcher_workers_limit_deliveries_under_way(services: Services) -> None:
    import asyncio

    services.outbox.workers = 2
    under_way = 0
    most = 0
    release = asyncio.Event()
    two_started = asyncio.Event()

    async def slow(delivery: Delivery) -> None:
        nonlocal under_way, most
        under_way += 1
        most = max(most, under_way)
        if most >= 2:
            two_started.set()
        await release.wait()
        under_way -= 1

    services.outbox.register("slow", slow)
    for chat in range(5):
        await enqueue(services, "slow", f"chat-{chat}")
    delivery = asyncio.create_task(services.outbox.run_once())
    try:
        await asyncio.wait_for(two_started.wait(), 10)
        for _ in range(20):  # give a third delivery every chance to start
            await asyncio.sleep(0)
        assert most == 2
    finally:
        release.set()  # a failed check must not leave the deliveries waiting
    assert await asyncio.wait_for(delivery, 10) == 5


async def test_items_sent_together_are_recorded_in_one_transaction_with_their_follow_ups(
    services: Services,
) -> None:
    from sqlalchemy import event, update

    commits: list[int] = []
    follow_ups: list[int] = []

    async def handler(delivery: Delivery) -> Finish:
        async def finish(session: AsyncSession) -> None:
            follow_ups.append(delivery.id)
            await session.execute(
                update(OutboxItem).where(OutboxItem.id == delivery.id).values(last_error="noted")
            )

        return finish

    services.outbox.register("together", handler)
    ids = [await enqueue(services, "together", destination=f"chat-{n}") for n in range(5)]

    def count(_conn: object) -> None:
        commits.append(1)

    event.listen(services.db.engine.sync_engine, "commit", count)
    await services.outbox.run_once()
    event.remove(services.db.engine.sync_engine, "commit", count)
    assert sorted(follow_ups) == ids
    rows = [await item(services, i) for i in ids]
    # the done mark comes after the follow-up and clears what it may not keep
    assert {(r.status, r.attempts, r.last_error, r.claimed_until) for r in rows} == {
        ("done", 1, None, None)
    }
    assert len(commits) == 2  # the claim, then one for all five done marks


async def test_a_destinations_sends_are_recorded_two_at_a_time(services: Services) -> None:
    from sqlalchemy import event

    services.outbox.workers = 4
    sent: list[str] = []
    commits: list[int] = []

    async def handler(delivery: Delivery) -> None:
        sent.append(str(delivery.payload["text"]))

    services.outbox.register("paired", handler)
    ids = [await enqueue(services, "paired", "chat-1", text=t) for t in ("a", "b", "c")]

    def count(_conn: object) -> None:
        commits.append(1)

    event.listen(services.db.engine.sync_engine, "commit", count)
    await services.outbox.run_once()
    event.remove(services.db.engine.sync_engine, "commit", count)
    assert sent == ["a", "b", "c"]
    assert {(await item(services, i)).status for i in ids} == {"done"}
    assert len(commits) == 3  # the claim, the done marks of a and b, then c's


@pytest.mark.parametrize("workers", [1, 2, 3])
async def test_sends_not_yet_recorded_never_outnumber_the_workers(
    services: Services, workers: int
) -> None:
    """What a crash may repeat: each send holds a worker until its done mark is written."""
    services.outbox.workers = workers
    returned: set[int] = set()
    under_way = 0
    most = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal under_way, most
        under_way += 1
        now_under_way, sent = under_way, set(returned)  # as the send starts
        async with services.db.read() as session:  # done by then, or since
            done = set(
                await session.scalars(select(OutboxItem.id).where(OutboxItem.status == "done"))
            )
        most = max(most, now_under_way + len(sent - done))
        await asyncio.sleep(0)
        under_way -= 1
        returned.add(delivery.id)

    services.outbox.register("bounded", handler)
    ids = [await enqueue(services, "bounded", f"chat-{n % 3}") for n in range(9)]
    assert await services.outbox.run_once() == 9
    assert returned == set(ids)
    assert {(await item(services, i)).status for i in ids} == {"done"}
    assert most == workers


async def test_items_claimed_together_are_prepared_together_in_the_claim(
    services: Services,
) -> None:
    prepared: list[list[int]] = []
    seen: dict[int, object] = {}
    leases: list[tuple[int, int]] = []

    async def prepare(session: AsyncSession, deliveries: list[Delivery]) -> None:
        prepared.append([d.id for d in deliveries])
        leased = select(func.count()).where(
            OutboxItem.id.in_([d.id for d in deliveries]), OutboxItem.claimed_until.is_not(None)
        )
        async with services.db.read() as other:
            # the claim's leases: written in this transaction, not yet committed
            leases.append((await session.scalar(leased) or 0, await other.scalar(leased) or 0))
        for delivery in deliveries:
            delivery.context["note"] = f"prepared {delivery.id}"

    async def handler(delivery: Delivery) -> None:
        seen[delivery.id] = delivery.context.get("note")

    services.outbox.register("prepared", handler, prepare=prepare)
    services.outbox.register("plain", handler)
    ids = [await enqueue(services, "prepared", destination=f"chat-{n}") for n in range(4)]
    plain = await enqueue(services, "plain")
    await services.outbox.run_once()
    assert prepared == [ids]  # once for the claim, only its kind
    assert leases == [(len(ids), 0)]
    assert seen == {**{i: f"prepared {i}" for i in ids}, plain: None}


async def test_a_failed_prepare_still_sends(services: Services) -> None:
    sent: dict[int, object] = {}

    async def prepare(session: AsyncSession, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            delivery.context["note"] = "half read"
        await session.execute(sql("SELECT * FROM no_such_table"))  # fails the statement

    async def handler(delivery: Delivery) -> None:
        sent[delivery.id] = delivery.context.get("note")
        leases.append((await item(services, delivery.id)).claimed_until is not None)

    leases: list[bool] = []
    services.outbox.register("unprepared", handler, prepare=prepare)
    item_id = await enqueue(services, "unprepared")
    assert await services.outbox.run_once() == 1
    assert sent == {item_id: None}
    assert leases == [True]  # the claim stands, its lease committed
    assert (await item(services, item_id)).status == "done"


class _CountingClaims(Outbox):
    """The delivery loop's outbox, counting its claims and telling when it is between them."""

    def __init__(self, services: Services, signals: Signals | None = None) -> None:
        super().__init__(
            services.db,
            services.clock,
            signals or services.signals,
            services.metrics,
            services.settings,
        )
        self.claims = 0
        self.claims_done = 0
        self.busy = 0
        self.changed = asyncio.Event()

    async def _claim(self, limit: int) -> list[Delivery]:
        self.claims += 1
        try:
            return await self._counted(super()._claim(limit))
        finally:
            self.claims_done += 1

    async def _deliver_claimed(
        self, deliveries: list[Delivery], finished: Callable[[], None] | None = None
    ) -> int:
        return await self._counted(super()._deliver_claimed(deliveries, finished))

    async def _counted(self, work: Awaitable[T]) -> T:
        self.busy += 1
        try:
            return await work
        finally:
            self.busy -= 1
            self.changed.set()

    async def between_claims(self) -> None:
        """Until no claim is being made or delivered."""
        while self.busy:
            self.changed.clear()
            await self.changed.wait()

    async def stop_loop(self, loop: asyncio.Task[None]) -> None:
        """Cancel the loop between claims (a claim cancelled mid-query loses its connection);
        a delivery that never ends fails the test instead of holding it up."""
        try:
            await asyncio.wait_for(self.between_claims(), 30)
        finally:
            loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_the_loop_sends_what_was_queued_behind_a_claim_of_its_chat_when_that_claim_ends(
    services: Services,
) -> None:
    outbox = _CountingClaims(services)
    sent: asyncio.Queue[str] = asyncio.Queue()
    sending_first = asyncio.Event()
    hold_first = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        if delivery.payload["text"] == "first":
            sending_first.set()
            await hold_first.wait()
        sent.put_nowait(str(delivery.payload["text"]))

    outbox.register("chat", handler)
    loop = asyncio.create_task(outbox.run(poll_interval=3600))
    try:
        await enqueue(services, "chat", "chat-1", text="first")
        await asyncio.wait_for(sending_first.wait(), 10)  # the first claim's send is under way
        claims = outbox.claims_done
        await enqueue(services, "chat", "chat-1", text="second")  # blocked behind "first" for now
        while outbox.claims_done == claims:  # the loop has looked for it while "first" is sent
            outbox.changed.clear()
            await asyncio.wait_for(outbox.changed.wait(), 10)
        assert sent.empty()
        hold_first.set()
        assert [await asyncio.wait_for(sent.get(), 10) for _ in range(2)] == ["first", "second"]
    finally:
        hold_first.set()  # a failed check must not leave the send (and the loop) waiting
        await outbox.stop_loop(loop)


async def test_a_claim_that_ends_with_nothing_queued_meanwhile_does_not_claim_again(
    services: Services,
) -> None:
    # signals of this loop's own: on PostgreSQL the insert's NOTIFY wakes the app's
    # signals too, as another process's insert would, and that wake-up rightly looks again
    signals = Signals()
    uow = UnitOfWork(services.db, services.clock, signals)
    outbox = _CountingClaims(services, signals)
    sent: asyncio.Queue[str] = asyncio.Queue()

    async def handler(delivery: Delivery) -> None:
        sent.put_nowait(str(delivery.payload["text"]))

    outbox.register("chat", handler)
    loop = asyncio.create_task(outbox.run(poll_interval=3600))
    try:
        while not outbox.claims or outbox.busy:  # the loop's first look, at start, is over
            outbox.changed.clear()
            await asyncio.wait_for(outbox.changed.wait(), 10)
        before = outbox.claims
        async with uow() as tx:
            tx.writes.enqueue("chat", {"text": "only"}, destination="chat-1")
        assert await asyncio.wait_for(sent.get(), 10) == "only"
        await asyncio.wait_for(outbox.between_claims(), 10)  # the claim's delivery has ended
        for _ in range(20):  # a look it set off would have begun by now
            await asyncio.sleep(0)
        assert outbox.claims == before + 1
    finally:
        await outbox.stop_loop(loop)


async def test_a_retry_after_holds_its_whole_destination_back_and_no_other(
    services: Services, clock: FakeClock
) -> None:
    sent: list[str] = []
    services.outbox.register("held", limited_once(sent, "first"))
    await enqueue(services, "held", "chat-1", text="first")  # the destination's only item
    await enqueue(services, "held", "chat-2", text="elsewhere")
    await services.outbox.drain()
    assert sent == ["elsewhere"]
    await enqueue(services, "held", "chat-1", text="second")  # queued while held
    clock.advance(timedelta(seconds=29))
    await services.outbox.drain()
    assert sent == ["elsewhere"]
    clock.advance(timedelta(seconds=1))
    await services.outbox.drain()
    assert sent == ["elsewhere", "first", "second"]


async def test_a_slow_destination_does_not_hold_up_the_claims_of_others(
    services: Services,
) -> None:
    outbox = _CountingClaims(services)
    outbox.workers = 2  # fewer than the slow destination's items
    sent: asyncio.Queue[str] = asyncio.Queue()
    slow_host = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        if delivery.destination == "slow-hook":
            await slow_host.wait()
        sent.put_nowait(str(delivery.payload["text"]))

    outbox.register("hook", handler)
    for n in range(5):
        await enqueue(services, "hook", "slow-hook", text=f"slow {n}")
    loop = asyncio.create_task(outbox.run(poll_interval=3600))
    try:
        while not outbox.claims:  # the slow destination's items are claimed
            outbox.changed.clear()
            await asyncio.wait_for(outbox.changed.wait(), 10)
        await enqueue(services, "hook", "fast-chat", text="fast")
        assert await asyncio.wait_for(sent.get(), 10) == "fast"
        slow_host.set()
        assert [await asyncio.wait_for(sent.get(), 10) for _ in range(5)] == [
            f"slow {n}" for n in range(5)
        ]
    finally:
        slow_host.set()
        await outbox.stop_loop(loop)


async def test_items_queued_for_a_held_destination_wait_out_its_hold_unscanned(
    services: Services, clock: FakeClock
) -> None:
    """A claim first makes what was queued for a held destination due when the
    destination may send, so later claims' scan of the due index passes it by; it goes
    out then, in order."""
    sent: list[str] = []
    services.outbox.register("held", limited_once(sent, "first"))
    await enqueue(services, "held", "chat-1", text="first")
    await services.outbox.drain()
    ready = services.outbox.not_before("chat-1")
    assert ready is not None
    queued = [await enqueue(services, "held", "chat-1", text=f"later {n}") for n in range(3)]
    other = await enqueue(services, "held", "chat-2", text="elsewhere")
    await services.outbox.drain()
    assert sent == ["elsewhere"]
    for item_id in queued:
        assert (await item(services, item_id)).next_attempt_at == ready
    assert (await item(services, other)).status == "done"
    clock.advance(timedelta(seconds=30))
    await services.outbox.drain()
    assert sent == ["elsewhere", "first", "later 0", "later 1", "later 2"]


async def test_sends_to_an_unpaced_destination_are_the_customers_work_and_paced_ones_not(
    services: Services,
) -> None:
    """A customer's chat is sent to as work a customer waits for (side work yields to it);
    a paced destination (a Slack channel) is side work itself."""
    busy: dict[str, bool] = {}

    async def handler(delivery: Delivery) -> None:
        busy[delivery.kind] = services.signals.foreground.busy

    services.outbox.register("chat", handler)
    services.outbox.register("channel", handler, min_interval=1.0)
    await enqueue(services, "chat", "telegram:1", text="hi")
    await services.outbox.drain()
    await enqueue(services, "channel", "slack:C1", text="hi")
    await services.outbox.drain()
    assert busy == {"chat": True, "channel": False}
    assert not services.signals.foreground.busy
