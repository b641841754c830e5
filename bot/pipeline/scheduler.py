"""Due timers: waits, question time-outs, assignment offers.

A timer is a row with a due time. The scheduler claims due rows atomically (a lease;
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), runs the handler for the timer's kind,
then marks it fired. A crash between the two fires it again after the lease, so
handlers check that what they wake is still waiting (the run's timer token).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.metrics import Metrics
from bot.core.signals import Signals
from bot.storage.claim_scope import ClaimScope
from bot.storage.db import Database
from bot.storage.pipeline.timer_store import DueTimer as DueTimer
from bot.storage.pipeline.timer_store import claim_due_timers, mark_timers_fired, next_due

logger = logging.getLogger(__name__)


TimerHandler = Callable[[DueTimer], Awaitable[None]]
BatchTimerHandler = Callable[[list[DueTimer]], Awaitable[list[DueTimer]]]
"""Takes a kind's due timers together and returns those it could not handle."""


class Scheduler:
    """Fires due timers through the handler registered for their kind."""

    def __init__(
        self, db: Database, clock: Clock, signals: Signals, metrics: Metrics, lease: float = 120.0
    ) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease)
        self.clock = clock
        self.signals = signals
        self.metrics = metrics
        self.scope = ClaimScope.SERVER
        """Whose timers this process fires (a terminal chat sets its own)."""
        self._handlers: dict[str, TimerHandler] = {}
        self._batch_handlers: dict[str, BatchTimerHandler] = {}

    def register(self, kind: str, handler: TimerHandler) -> None:
        """Fire timers of ``kind`` one at a time through ``handler``."""
        self._check_free(kind)
        self._handlers[kind] = handler

    def register_batch(self, kind: str, handler: BatchTimerHandler) -> None:
        """Hand ``handler`` all the due timers of ``kind`` claimed together."""
        self._check_free(kind)
        self._batch_handlers[kind] = handler

    def _check_free(self, kind: str) -> None:
        if kind in self._handlers or kind in self._batch_handlers:
            raise ValueError(f"timer kind {kind!r} already has a handler")

    async def _claim(self, limit: int) -> list[DueTimer]:
        now = self.clock.now()
        return await claim_due_timers(self.db, now, now + self.lease, self.scope, limit)

    async def run_once(self, limit: int = 500, concurrency: int = 64) -> int:
        """Fire the timers due now; returns how many fired."""
        timers = await self._claim(limit)
        if not timers:
            return 0
        gate = asyncio.Semaphore(concurrency)

        async def fire(timer: DueTimer) -> int | None:
            async with gate:
                return await self._fire(timer)

        batches: dict[str, list[DueTimer]] = {}
        single: list[DueTimer] = []
        for timer in timers:
            if timer.kind in self._batch_handlers:
                batches.setdefault(timer.kind, []).append(timer)
            else:
                single.append(timer)
        fired = [t for t in await asyncio.gather(*(fire(t) for t in single)) if t is not None]
        for kind, batch in batches.items():
            fired.extend(await self._fire_batch(kind, batch))
        if fired:
            await mark_timers_fired(self.db, fired, self.clock.now())
        return len(fired)

    async def _fire(self, timer: DueTimer) -> int | None:
        handler = self._handlers.get(timer.kind)
        if handler is None:
            logger.error("no handler for timer kind %s", timer.kind, extra={"timer": timer.key})
            return timer.id
        try:
            await handler(timer)
        except Exception:
            logger.exception("timer handler failed", extra={"timer": timer.key})
            return None  # retried after the lease
        self.metrics.timers_fired.labels(timer.kind).inc()
        return timer.id

    async def _fire_batch(self, kind: str, timers: list[DueTimer]) -> list[int]:
        try:
            failed = {t.id for t in await self._batch_handlers[kind](timers)}
        except Exception:
            logger.exception("timer handler failed", extra={"kind": kind, "timers": len(timers)})
            return []  # retried after the lease
        fired = [t.id for t in timers if t.id not in failed]
        self.metrics.timers_fired.labels(kind).inc(len(fired))
        return fired

    async def drain(self) -> int:
        """Fire everything due now, including timers that firing makes due."""
        total = 0
        while fired := await self.run_once():
            total += fired
        return total

    async def next_due(self) -> datetime | None:
        """When the earliest pending timer this process fires is due (None: none pending)."""
        return await next_due(self.db, self.scope)

    async def run(self, poll_interval: float) -> None:
        """Background loop: sleep until the next due time, a signal, or the poll interval."""
        while True:
            try:
                await self.drain()
            except Exception:
                logger.exception("scheduler loop failed")
            seconds = poll_interval
            try:
                due = await self.next_due()
                if due is not None:
                    seconds = min(poll_interval, max(0.0, (due - self.clock.now()).total_seconds()))
            except Exception:
                logger.exception("scheduler could not read the next due time")
            await self._sleep(seconds)

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a timer stored meanwhile is due sooner (or
        one was stored whose due time is not known here). A timer due later than the wait
        wakes nothing: the scheduler would find nothing to fire."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            try:
                await asyncio.wait_for(self.signals.timers.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                return
            due = self.signals.take_timers_news()
            if due is None:
                return
            wait = (due - self.clock.now()).total_seconds()
            if wait <= 0:
                return
            deadline = min(deadline, loop.time() + wait)
