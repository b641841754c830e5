"""The single way out: a durable outbound queue with retries, backoff and pacing.

Items are written in the transaction of the change that caused them (see
:meth:`bot.storage.uow.Tx.enqueue`) and delivered here, at least once, by the handler
registered for their kind. Items that share a non-empty ``destination`` (one chat,
one Slack channel) go out in order, one at a time, paced by the kind's interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
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
from bot.storage.pipeline.outbox_items import DeadHandler, Delivery, Handler, Prepare
from bot.storage.pipeline.outbox_queue import DoneItem

logger = logging.getLogger(__name__)

CLAIM_LIMIT = 200


@dataclass
class _Route:
    handler: Handler
    on_dead: DeadHandler | None
    min_interval: float
    prepare: Prepare | None = None


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
        self._last_sent: dict[str, float] = {}
        self.dead_listeners: list[DeadHandler] = []
        self._done: GroupCommit[DoneItem, None] = GroupCommit(self._record_done)
        self._gate: tuple[int, asyncio.Semaphore] | None = None
        """Bounds the sends under way across claims (a crash repeats at most that many)."""
        self._claimed = 0
        """Items of the claims the background loop is still delivering."""
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
    ) -> None:
        """Deliver items of ``kind`` with ``handler``; ``on_dead`` hears of final failures;
        ``prepare`` gets each claim's items of the kind first (a handler must not rely on it)."""
        if kind in self._routes:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        self._routes[kind] = _Route(handler, on_dead, min_interval, prepare)

    def handles(self, kind: str) -> bool:
        """Whether a handler is registered for ``kind``."""
        return kind in self._routes

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next attempt: exponential with jitter, never below retry-after."""
        exponential = min(self.max_backoff, self.base_backoff * (2 ** max(0, attempts - 1)))
        jittered: float = exponential * (0.5 + self.rng.random() / 2)
        return max(jittered, retry_after or 0.0)

    async def _claim(self, limit: int) -> list[Delivery]:
        now = self.clock.now()
        return await outbox_queue.claim(
            self.db,
            tuple(self._routes),
            self.scope,
            now=now,
            limit=limit,
            lease_until=now + self.lease,
        )

    async def run_once(self, limit: int = CLAIM_LIMIT) -> int:
        """Claim due items and deliver them; returns how many were attempted."""
        return await self._deliver_claimed(await self._claim(limit))

    async def _deliver_claimed(self, deliveries: list[Delivery]) -> int:
        """Deliver a claim: each destination's items in order, ``workers`` sends at a time."""
        await self._prepare(deliveries)
        groups: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            key = delivery.destination or f"#{delivery.id}"
            groups.setdefault(key, []).append(delivery)

        if self._gate is None or self._gate[0] != self.workers:
            self._gate = (self.workers, asyncio.Semaphore(self.workers))
        gate = self._gate[1]

        async def deliver(group: list[Delivery]) -> int:
            async with gate:
                return await self._deliver_in_order(group)

        results = await asyncio.gather(*(deliver(g) for g in groups.values()))
        return sum(results)

    async def _prepare(self, deliveries: list[Delivery]) -> None:
        kinds: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            kinds.setdefault(delivery.kind, []).append(delivery)
        for kind, items in kinds.items():
            prepare = self._routes[kind].prepare
            if prepare is None:
                continue
            try:
                await prepare(items)
            except Exception:
                logger.exception(
                    "preparing %d %s items failed; they are sent without", len(items), kind
                )

    async def _deliver_in_order(self, group: list[Delivery]) -> int:
        attempted = 0
        for index, delivery in enumerate(group):
            attempted += 1
            delivered = await self._deliver(delivery)
            if not delivered:
                await self._release([d.id for d in group[index + 1 :]])
                break
        return attempted

    async def _release(self, ids: list[int]) -> None:
        await outbox_queue.release(self.db, ids)

    async def _pace(self, delivery: Delivery, interval: float) -> None:
        if interval <= 0 or not delivery.destination:
            return
        key = f"{delivery.kind}:{delivery.destination}"
        wait = self._last_sent.get(key, 0.0) + interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # platform pacing, not business time
        self._last_sent[key] = time.monotonic()

    async def _deliver(self, delivery: Delivery) -> bool:
        route = self._routes[delivery.kind]
        await self._pace(delivery, route.min_interval)
        started = time.perf_counter()
        attempts = delivery.attempts + 1
        try:
            finish = await route.handler(delivery)
        except PermanentDeliveryError as exc:
            await self._give_up(delivery, route, attempts, exc.reason)
            return False
        except RetryableDeliveryError as exc:
            await self._retry_or_give_up(delivery, route, attempts, exc.reason, exc.retry_after)
            return False
        except Exception as exc:
            logger.exception("outbox handler crashed", extra={"outbox_id": delivery.id})
            await self._retry_or_give_up(
                delivery, route, attempts, f"{type(exc).__name__}: {exc}", None
            )
            return False
        self.metrics.delivery_seconds.labels(delivery.kind).observe(time.perf_counter() - started)
        self.metrics.outbound_sends.labels(delivery.kind, "ok").inc()
        try:
            await self._done.submit(DoneItem(delivery.id, attempts, finish))
        except Exception:
            # sent but not recorded: the lease runs out and the item goes again (at least once)
            logger.exception(
                "outbound item sent but not marked done", extra={"outbox_id": delivery.id}
            )
            return False
        return True

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
        """Background loop: claim when items are queued (the signal), when a claim's
        delivery ends and the loop woke meanwhile (what was queued then may have waited
        behind the claim's items of its chat) and every ``poll_interval`` seconds.

        Each claim is delivered on a task of its own, so what is queued while one is
        under way goes out at once instead of after its last item; the workers' gate
        still bounds the sends under way. While ``workers`` claimed items are still
        being delivered no new claim is made: under load, claims stay large.
        """
        deliveries: set[asyncio.Task[int]] = set()
        try:
            while True:
                self.signals.outbox.clear()
                self._wakes += 1
                claimed = 0
                if self._claimed < self.workers:
                    try:
                        claimed = self._start_delivery(await self._claim(CLAIM_LIMIT), deliveries)
                    except Exception:
                        logger.exception("outbox claim failed")
                if claimed >= CLAIM_LIMIT:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.signals.outbox.wait(), poll_interval)
        finally:
            for task in deliveries:
                task.cancel()
            await asyncio.gather(*deliveries, return_exceptions=True)

    def _start_delivery(self, claim: list[Delivery], tasks: set[asyncio.Task[int]]) -> int:
        if not claim:
            return 0
        self._claimed += len(claim)
        task = asyncio.create_task(self._deliver_claimed(claim), name="outbox-claim")
        tasks.add(task)
        wakes = self._wakes

        def ended(done: asyncio.Task[int]) -> None:
            tasks.discard(done)
            self._claimed -= len(claim)
            if self._wakes != wakes:
                # items queued meanwhile may have waited behind this claim's: look again
                self.signals.outbox.set()
            if not done.cancelled() and done.exception() is not None:
                logger.error("outbox delivery failed", exc_info=done.exception())

        task.add_done_callback(ended)
        return len(claim)
