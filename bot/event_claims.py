"""Domain events with several processes on one PostgreSQL database.

Every process reads the undelivered events and groups them by order key (one
conversation, one lead). A process delivers a key's events only while it holds that
key's advisory lock, which the workflow runner takes too (timers, delivery failures):
so each event is handled by one process at a time, in id order per key. Under the
lock the process reads the key's undelivered events again and marks each delivered
after its subscribers ran; a process killed mid-delivery drops its lock with its
connection, and the next process to look redelivers (at least once, as on SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import case, func, select
from sqlalchemy.sql.elements import ColumnElement

from bot.advisory_locks import AdvisoryLocks
from bot.claim_scope import ClaimScope, of_conversation
from bot.clock import Clock
from bot.db import Database
from bot.events import EVENTS, MARK_DELIVERED, DomainEvent, EventInterest, Subscriber, Wants
from bot.models import Event
from bot.signals import Signals

logger = logging.getLogger(__name__)


def order_key(conversation_id: int | None, lead_id: int | None, event_id: int) -> str:
    """The same key :attr:`DomainEvent.order_key` gives."""
    if conversation_id is not None:
        return f"conversation:{conversation_id}"
    if lead_id is not None:
        return f"lead:{lead_id}"
    return f"event:{event_id}"


KEY_BATCH = 100
"""Events of one key read and marked together."""


def _rows_of(key: str) -> ColumnElement[bool]:
    kind, _, raw = key.partition(":")
    ident = int(raw)
    if kind == "conversation":
        return EVENTS.c.conversation_id == ident
    if kind == "lead":
        return (EVENTS.c.conversation_id.is_(None)) & (EVENTS.c.lead_id == ident)
    return EVENTS.c.id == ident


class ClaimingEventDispatcher:
    """Delivers stored events to subscribers, one process per order key at a time."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        signals: Signals,
        locks: AdvisoryLocks,
        *,
        workers: int = 32,
        batch: int = 1000,
        interest: EventInterest | None = None,
    ) -> None:
        self.db = db
        self.interest = interest or EventInterest()
        self.scope = ClaimScope.SERVER
        """Whose events this process delivers (a terminal chat sets its own)."""
        self.clock = clock
        self.signals = signals
        self.locks = locks
        self.batch = batch
        self._subscribers: list[Subscriber] = []
        self._gate = asyncio.Semaphore(workers)
        self._active: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._full_batch = False
        self.delivered = 0
        self.held_elsewhere = 0

    def subscribe(self, subscriber: Subscriber, wants: Wants | None = None) -> None:
        """Call ``subscriber`` for every event (``wants``: every event it wants), after
        the commit that stored it."""
        self._subscribers.append(subscriber)
        self.interest.add(wants)

    async def pump(self) -> int:
        """Start a worker per order key with undelivered events; returns how many keys."""
        first = func.min(Event.id)
        alone = case((Event.conversation_id.is_(None) & Event.lead_id.is_(None), Event.id))
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(first, Event.conversation_id, Event.lead_id)
                    .where(
                        Event.delivered_at.is_(None),
                        of_conversation(Event.conversation_id, self.scope),
                    )
                    .group_by(Event.conversation_id, Event.lead_id, alone)
                    .order_by(first)
                    .limit(self.batch)
                )
            ).all()
        self._full_batch = len(rows) >= self.batch
        for event_id, conversation_id, lead_id in rows:
            key = order_key(conversation_id, lead_id, event_id)
            if key in self._active:
                self._again.add(key)
            else:
                self._start(key)
        return len(rows)

    def _start(self, key: str) -> None:
        self._idle.clear()
        self._active[key] = asyncio.create_task(self._work(key), name=f"events {key}")

    async def _work(self, key: str) -> None:
        held = False
        try:
            async with self._gate, self.locks.try_hold(key) as held:
                if held:
                    await self._deliver_key(key)
                else:
                    self.held_elsewhere += 1
        except Exception:
            logger.exception("event delivery failed", extra={"order_key": key})
        finally:
            del self._active[key]
            if key in self._again:
                self._again.discard(key)
                if held:
                    self._start(key)
            if not self._active:
                self._idle.set()
                if self._full_batch:
                    self.signals.events.set()  # more rows than one look took in

    async def _deliver_key(self, key: str) -> None:
        """Deliver the key's undelivered events, 100 at a time. After a short batch the
        key is not read again: an event stored meanwhile wakes the pump, which finds the
        key still active and starts it again once this worker ends."""
        while True:
            async with self.db.session() as session:
                rows = (
                    await session.execute(
                        select(*EVENTS.c)
                        .where(EVENTS.c.delivered_at.is_(None), _rows_of(key))
                        .order_by(EVENTS.c.id)
                        .limit(KEY_BATCH)
                    )
                ).all()
            if not rows:
                return
            for row in rows:
                await self._deliver(DomainEvent.from_row(row))
            # one mark for the batch: a crash before it redelivers the batch (at least once)
            async with self.db.session() as session:
                await session.execute(
                    MARK_DELIVERED, {"event_ids": [row.id for row in rows], "now": self.clock.now()}
                )
            self.delivered += len(rows)
            if len(rows) < KEY_BATCH:
                return

    async def _deliver(self, event: DomainEvent) -> None:
        for subscriber in self._subscribers:
            try:
                await subscriber(event)
            except Exception:
                logger.exception(
                    "event subscriber failed", extra={"event_id": event.id, "event": event.type}
                )

    async def pending(self) -> int:
        """How many stored events are not delivered yet."""
        async with self.db.session() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(
                        Event.delivered_at.is_(None),
                        of_conversation(Event.conversation_id, self.scope),
                    )
                )
                or 0
            )

    async def drain(self) -> None:
        """Deliver everything stored so far (and what those deliveries cause)."""
        while True:
            before = self.delivered
            found = await self.pump()
            await self._idle.wait()
            if not found or self.delivered == before:
                return  # nothing left, or all of it is another process's to deliver now

    async def run(self, poll_interval: float) -> None:
        """Background loop: wake on a signal (local or NOTIFY) or every ``poll_interval`` seconds."""
        self.interest.seal()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.signals.events.wait(), poll_interval)
            self.signals.events.clear()
            try:
                await self.pump()
            except Exception:
                logger.exception("event pump failed")

    async def stop(self) -> None:
        """Let deliveries under way finish."""
        await self._idle.wait()
