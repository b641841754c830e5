"""The single way out: a durable outbound queue with retries, backoff and pacing.

Items are written in the transaction of the change that caused them (see
:meth:`bot.storage.uow.Tx.enqueue`) and delivered here, at least once, by the handler
registered for their kind. Items that share a non-empty ``destination`` (one chat, one
Slack channel, one webhook URL) go out in order, one at a time; order is never kept
across destinations, and no destination waits for another.

A kind with a ``min_interval`` is paced per destination, and a 429 with ``Retry-After``
holds its whole destination back; neither sleeps in a worker nor holds a claim: an item
whose destination may not send yet is given back, due when it may (the claim never takes
an item while an earlier one of its destination waits, so the rest of the destination
waits behind it, in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.errors import PermanentDeliveryError, RetryableDeliveryError
from bot.core.group_commit import GroupCommit
from bot.core.metrics import Metrics
from bot.core.signals import Signals
from bot.storage.claim_scope import ClaimScope
from bot.storage.db import Database
from bot.storage.pipeline import outbox_queue
from bot.storage.pipeline.outbox_items import DeadHandler, Delivery, Handler, Merge, Prepare
from bot.storage.pipeline.outbox_queue import DoneItem

logger = logging.getLogger(__name__)

CLAIM_LIMIT = 200
PACE_MEMORY = 4096
"""Destinations whose pace is remembered before the ones already free to send are dropped."""


@dataclass
class _Route:
    handler: Handler
    on_dead: DeadHandler | None
    min_interval: float
    merge: Merge | None = None


@dataclass
class _Unrecorded:
    """A destination's sends whose done marks are not written yet, each holding a slot of
    the workers' ``gate`` until they are."""

    gate: asyncio.Semaphore
    items: list[DoneItem] = field(default_factory=list)
    slots: int = 0

    def full(self) -> bool:
        """Whether they are recorded before the destination's next send: a pair is, and
        one is when no slot is free for that send (none is waited for while one is held)."""
        return self.slots > 1 or (self.slots == 1 and self.gate.locked())


def by_destination(deliveries: Sequence[Delivery]) -> list[list[Delivery]]:
    """A claim's items per destination, each in order (an item without one stands alone)."""
    groups: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        groups.setdefault(delivery.destination or f"#{delivery.id}", []).append(delivery)
    return list(groups.values())


def _ids(deliveries: Sequence[Delivery]) -> list[int]:
    return [d.id for d in deliveries]


class Outbox:
    """Delivers outbound items through the handler registered for each kind."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        signals: Signals,
        metrics: Metrics,
        settings: Settings,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signals = signals
        self.metrics = metrics
        self.workers = settings.dispatcher_workers
        self.max_attempts = settings.outbox_max_attempts
        self.base_backoff = settings.outbox_base_backoff_s
        self.max_backoff = settings.outbox_max_backoff_s
        self.lease = timedelta(seconds=settings.outbox_lease_s)
        self.rng = rng or random.Random()
        self.scope = ClaimScope.SERVER
        """Whose items this process delivers (a terminal chat sets its own)."""
        self._routes: dict[str, _Route] = {}
        self._prepares: dict[str, Prepare] = {}
        """The kinds' ``prepare`` hooks, which the claim runs in its transaction."""
        self._not_before: dict[str, datetime] = {}
        """When a paced or held-back destination may send again (its pace, a Retry-After)."""
        self.dead_listeners: list[DeadHandler] = []
        self._done: GroupCommit[DoneItem, None] = GroupCommit(self._record_done)
        self._gate: tuple[int, asyncio.Semaphore] | None = None
        """Bounds the sends under way or not yet recorded (a crash repeats at most that many)."""
        self._in_flight = 0
        """Destinations the background loop is still delivering claimed items of."""
        self._wake_at: datetime | None = None
        """When the earliest item this process gave back is due again."""
        self._wakes = 0
        """Times the background loop woke to claim."""

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        on_dead: DeadHandler | None = None,
        min_interval: float = 0.0,
        prepare: Prepare | None = None,
        merge: Merge | None = None,
    ) -> None:
        """Deliver items of ``kind`` with ``handler``; ``on_dead`` hears of final failures;
        ``min_interval`` paces each destination (seconds between sends); ``prepare`` reads
        what each claim's items of the kind need, in the claim's transaction (a handler
        must not rely on it); ``merge`` picks later items of the destination that go out
        in the same send."""
        if kind in self._routes:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        self._routes[kind] = _Route(handler, on_dead, min_interval, merge)
        if prepare is not None:
            self._prepares[kind] = prepare

    def handles(self, kind: str) -> bool:
        """Whether a handler is registered for ``kind``."""
        return kind in self._routes

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next attempt: exponential with jitter, never below retry-after."""
        exponential = min(self.max_backoff, self.base_backoff * (2 ** max(0, attempts - 1)))
        jittered: float = exponential * (0.5 + self.rng.random() / 2)
        return max(jittered, retry_after or 0.0)

    def not_before(self, destination: str) -> datetime | None:
        """When ``destination`` may send again, if this process holds it back (pace, Retry-After)."""
        return self._not_before.get(destination)

    async def _claim(self, limit: int) -> list[Delivery]:
        now = self.clock.now()
        return await outbox_queue.claim(
            self.db,
            tuple(self._routes),
            self.scope,
            now=now,
            limit=limit,
            lease_until=now + self.lease,
            prepare=self._prepares,
            held={d: ready for d, ready in self._not_before.items() if ready > now},
        )

    async def run_once(self, limit: int = CLAIM_LIMIT) -> int:
        """Claim due items and deliver them; returns how many were attempted (items given
        back because their destination may not send yet are not)."""
        return await self._deliver_claimed(await self._claim(limit))

    async def _deliver_claimed(
        self, deliveries: list[Delivery], finished: Callable[[], None] | None = None
    ) -> int:
        """Deliver a claim: each destination's items in order, the destinations side by
        side, ``workers`` sends at a time; ``finished`` hears of each destination done."""
        claimed_at = self.clock.now()

        async def deliver(group: list[Delivery]) -> int:
            try:
                paced = self._routes[group[0].kind].min_interval
                # an unpaced destination (a customer's chat) is work a customer waits for
                with contextlib.nullcontext() if paced else self.signals.foreground.working():
                    return await self._deliver_in_order(group, claimed_at)
            finally:
                if finished is not None:
                    finished()

        results = await asyncio.gather(*(deliver(g) for g in by_destination(deliveries)))
        return sum(results)

    async def _deliver_in_order(self, group: list[Delivery], claimed_at: datetime) -> int:
        """One destination's claimed items, in order, until one fails or the destination
        may not send yet; what is left is given back. Returns the items attempted.

        A send's done mark waits for the destination's next send when a slot of the
        workers' gate is free for it, and the two are recorded in one transaction; the
        first keeps its slot meanwhile, so the sends not yet recorded (what a crash
        repeats) never outnumber ``workers``."""
        attempted = 0
        waiting = list(group)
        unrecorded = _Unrecorded(self._gate_now())
        try:
            while waiting:
                first = waiting[0]
                now = self.clock.now()
                ready = self._not_before.get(first.destination) if first.destination else None
                if ready is not None and ready > now:
                    await self._give_back(first.destination, waiting, ready)
                    break
                if now - claimed_at > self.lease / 2:
                    # a long run of one destination: the rest is claimed afresh, before its
                    # lease could run out under it and another process take it too
                    await self._release(_ids(waiting))
                    break
                if unrecorded.full() and not await self._record(unrecorded):
                    await self._hand_back(first.destination, waiting)
                    break
                riders = self._riders(first, waiting[1:])
                taken = {first.id, *_ids(riders)}
                waiting = [d for d in waiting if d.id not in taken]
                attempted += len(taken)
                item = replace(first, merged=tuple(riders)) if riders else first
                if not await self._deliver(item, unrecorded):
                    await self._hand_back(first.destination, riders + waiting)
                    break
        finally:
            await self._record(unrecorded)
        return attempted

    def _riders(self, first: Delivery, later: list[Delivery]) -> list[Delivery]:
        """The later items the kind's ``merge`` sends with ``first``, in their order."""
        merge = self._routes[first.kind].merge
        if merge is None or not later:
            return []
        try:
            chosen = {d.id for d in merge(first, later)}
        except Exception:
            logger.exception("outbox merge failed; sent one by one", extra={"outbox_id": first.id})
            return []
        return [d for d in later if d.id in chosen]

    async def _release(self, ids: list[int]) -> None:
        await outbox_queue.release(self.db, ids)

    async def _hand_back(self, destination: str, deliveries: list[Delivery]) -> None:
        """What is left of a destination's items after a failure: due when the destination
        may send again (a Retry-After holds all of it back), else at once (behind the
        failed item, which is due later)."""
        ready = self._not_before.get(destination) if destination else None
        if ready is not None and ready > self.clock.now():
            await self._give_back(destination, deliveries, ready)
        else:
            await self._release(_ids(deliveries))

    async def _give_back(
        self, destination: str, deliveries: list[Delivery], ready: datetime
    ) -> None:
        """Unsent, due again when their destination may send (the loop wakes for it)."""
        if not deliveries:
            return
        await outbox_queue.give_back(
            self.db, destination, _ids(deliveries), ready, self.clock.now()
        )
        if self._wake_at is None or ready < self._wake_at:
            self._wake_at = ready

    def _hold(self, destination: str, seconds: float) -> None:
        """``destination`` sends nothing more for ``seconds`` (its pace, a Retry-After)."""
        if not destination or seconds <= 0:
            return
        now = self.clock.now()
        until = now + timedelta(seconds=seconds)
        if len(self._not_before) >= PACE_MEMORY:
            self._not_before = {d: t for d, t in self._not_before.items() if t > now}
        current = self._not_before.get(destination)
        if current is None or until > current:
            self._not_before[destination] = until

    def _gate_now(self) -> asyncio.Semaphore:
        if self._gate is None or self._gate[0] != self.workers:
            self._gate = (self.workers, asyncio.Semaphore(self.workers))
        return self._gate[1]

    async def _deliver(self, delivery: Delivery, unrecorded: _Unrecorded) -> bool:
        """Send ``delivery`` in a slot of the gate; once sent, it holds the slot in
        ``unrecorded`` until its done mark is written."""
        route = self._routes[delivery.kind]
        await unrecorded.gate.acquire()
        try:
            self._hold(delivery.destination, route.min_interval)
            sent = await self._attempt(delivery, route)
        except BaseException:
            unrecorded.gate.release()
            raise
        if sent is None:
            unrecorded.gate.release()
            return False
        unrecorded.items += sent
        unrecorded.slots += 1
        return True

    async def _record(self, unrecorded: _Unrecorded) -> bool:
        """Write the done marks of ``unrecorded`` in one transaction, then free their slots;
        False when they could not be written."""
        if not unrecorded.slots:
            return True
        done, slots = unrecorded.items, unrecorded.slots
        unrecorded.items, unrecorded.slots = [], 0
        try:
            await asyncio.gather(*(self._done.submit(item) for item in done))
        except Exception:
            # sent but not recorded: the lease runs out and the items go again (at least once)
            logger.exception(
                "outbound items sent but not marked done",
                extra={"outbox_ids": [item.id for item in done]},
            )
            return False
        finally:
            for _ in range(slots):
                unrecorded.gate.release()
        return True

    async def _attempt(self, delivery: Delivery, route: _Route) -> list[DoneItem] | None:
        """Send ``delivery``; what to record done when it went out, else None (its retry
        or its end is written)."""
        started = time.perf_counter()
        attempts = delivery.attempts + 1
        try:
            finish = await route.handler(delivery)
        except PermanentDeliveryError as exc:
            await self._give_up(delivery, route, attempts, exc.reason)
            return None
        except RetryableDeliveryError as exc:
            if exc.retry_after:
                self._hold(delivery.destination, exc.retry_after)
            await self._retry_or_give_up(delivery, route, attempts, exc.reason, exc.retry_after)
            return None
        except Exception as exc:
            logger.exception("outbox handler crashed", extra={"outbox_id": delivery.id})
            await self._retry_or_give_up(
                delivery, route, attempts, f"{type(exc).__name__}: {exc}", None
            )
            return None
        self.metrics.delivery_seconds.labels(delivery.kind).observe(time.perf_counter() - started)
        sent = [DoneItem(delivery.id, attempts, finish)]
        sent += [DoneItem(r.id, r.attempts + 1, None) for r in delivery.merged]
        self.metrics.outbound_sends.labels(delivery.kind, "ok").inc(len(sent))
        return sent

    async def _record_done(self, done: list[DoneItem]) -> list[None]:
        """One transaction for the items that went out together: their follow-ups and done marks."""
        await outbox_queue.record_done(self.db, self.clock.now(), done)
        return [None] * len(done)

    async def _retry_or_give_up(
        self,
        delivery: Delivery,
        route: _Route,
        attempts: int,
        reason: str,
        retry_after: float | None,
    ) -> None:
        if attempts >= self.max_attempts:
            await self._give_up(delivery, route, attempts, f"{reason} (after {attempts} attempts)")
            return
        delay = self.backoff(attempts, retry_after)
        self.metrics.outbox_retries.labels(delivery.kind).inc()
        self.metrics.outbound_sends.labels(delivery.kind, "retry").inc()
        logger.warning(
            "outbound %s failed, retry in %.1fs: %s",
            delivery.kind,
            delay,
            reason,
            extra={"outbox_id": delivery.id, "conversation_id": delivery.conversation_id},
        )
        await outbox_queue.schedule_retry(
            self.db,
            delivery.id,
            attempts=attempts,
            last_error=reason,
            next_attempt_at=self.clock.now() + timedelta(seconds=delay),
        )

    async def _give_up(self, delivery: Delivery, route: _Route, attempts: int, reason: str) -> None:
        self.metrics.outbox_dead.labels(delivery.kind).inc()
        self.metrics.outbound_sends.labels(delivery.kind, "dead").inc()
        logger.error(
            "outbound %s failed for good: %s",
            delivery.kind,
            reason,
            extra={"outbox_id": delivery.id, "conversation_id": delivery.conversation_id},
        )
        await outbox_queue.mark_dead(self.db, delivery.id, attempts=attempts, last_error=reason)
        hooks = [route.on_dead] if route.on_dead is not None else []
        for hook in [*hooks, *self.dead_listeners]:
            try:
                await hook(delivery, reason)
            except Exception:
                logger.exception("outbox dead-letter hook failed", extra={"outbox_id": delivery.id})

    async def next_due(self) -> datetime | None:
        """When the earliest pending item in this process's scope is due (None when none is)."""
        return await outbox_queue.next_due(self.db, self.scope)

    async def drain(self) -> None:
        """Deliver until nothing is due now (tests and shutdown)."""
        while await self.run_once():
            pass

    async def run(self, poll_interval: float) -> None:
        """Background loop: claim when items are queued (the signal), when a destination's
        delivery ends and the loop woke meanwhile (what was queued then may have waited
        behind that destination's items), when an item given back is due again, and every
        ``poll_interval`` seconds.

        Each claim is delivered on a task of its own, each destination side by side, so
        what is queued while one is under way goes out at once; the workers' gate still
        bounds the sends under way. While ``workers`` destinations are still being
        delivered no new claim is made: under load, claims stay large. A paced or slow
        destination counts as one, and a paced one is given back at once, so it never
        holds up the claims other destinations are waiting for.
        """
        deliveries: set[asyncio.Task[int]] = set()
        try:
            while True:
                self.signals.outbox.clear()
                self._wakes += 1
                if self._wake_at is not None and self._wake_at <= self.clock.now():
                    self._wake_at = None
                claimed = 0
                if self._in_flight < self.workers:
                    try:
                        claimed = self._start_delivery(await self._claim(CLAIM_LIMIT), deliveries)
                    except Exception:
                        logger.exception("outbox claim failed")
                if claimed >= CLAIM_LIMIT:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.signals.outbox.wait(), self._idle(poll_interval))
        finally:
            for task in deliveries:
                task.cancel()
            await asyncio.gather(*deliveries, return_exceptions=True)

    def _idle(self, poll_interval: float) -> float:
        """Seconds to wait for a signal: the poll interval, or less when an item this
        process gave back is due sooner."""
        if self._wake_at is None:
            return poll_interval
        due_in = (self._wake_at - self.clock.now()).total_seconds()
        return min(poll_interval, max(0.0, due_in))

    def _start_delivery(self, claim: list[Delivery], tasks: set[asyncio.Task[int]]) -> int:
        if not claim:
            return 0
        remaining = len(by_destination(claim))
        self._in_flight += remaining
        wakes = self._wakes

        def finished() -> None:
            nonlocal remaining
            remaining -= 1
            self._in_flight -= 1
            if self._wakes != wakes:
                # items queued meanwhile may have waited behind this destination's: look again
                self.signals.outbox.set()

        task = asyncio.create_task(self._deliver_claimed(claim, finished), name="outbox-claim")
        tasks.add(task)

        def ended(done: asyncio.Task[int]) -> None:
            nonlocal remaining
            tasks.discard(done)
            self._in_flight -= remaining  # destinations a failure or a cancel cut short
            remaining = 0
            if not done.cancelled() and done.exception() is not None:
                logger.error("outbox delivery failed", exc_info=done.exception())

        task.add_done_callback(ended)
        return len(claim)
