"""Domain events: delivered to subscribers after commit, in order per conversation.

Events are rows written in the transaction that caused them. The dispatcher reads
undelivered rows in id order, hands each conversation's events to that conversation's
queue (one at a time, in order) and marks them delivered after every subscriber ran.
A crash before the mark redelivers the event on the next start: delivery is
at-least-once and subscribers are idempotent.

A subscriber may say which events it acts on (:class:`EventInterest`); an event that
no subscriber wants is stored as delivered already, so nobody reads or marks it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from bot.claim_scope import ClaimScope, of_conversation
from bot.clock import Clock
from bot.db import Database
from bot.group_commit import GroupCommit
from bot.models import Event
from bot.signals import Signals
from bot.sql import table_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """What happened, as subscribers see it."""

    id: int
    type: str
    occurred_at: datetime
    conversation_id: int | None = None
    contact_id: int | None = None
    lead_id: int | None = None
    message_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def order_key(self) -> str:
        """Events sharing this key are handled one at a time, in order."""
        if self.conversation_id is not None:
            return f"conversation:{self.conversation_id}"
        if self.lead_id is not None:
            return f"lead:{self.lead_id}"
        return f"event:{self.id}"

    @classmethod
    def from_row(cls, row: Any) -> DomainEvent:
        """From a stored ``Event`` (or a row of its columns)."""
        return cls(
            id=row.id,
            type=row.type,
            occurred_at=row.occurred_at,
            conversation_id=row.conversation_id,
            contact_id=row.contact_id,
            lead_id=row.lead_id,
            message_id=row.message_id,
            data=dict(row.data or {}),
        )


EVENTS = table_of(Event)
MARK_DELIVERED = (
    update(EVENTS)
    .where(EVENTS.c.id.in_(bindparam("event_ids", expanding=True)), EVENTS.c.delivered_at.is_(None))
    .values(delivered_at=bindparam("now"))
)
"""Mark the events ``event_ids`` delivered at ``now`` (an event delivered twice keeps its
first time)."""
Subscriber = Callable[[DomainEvent], Awaitable[None]]
Wants = Callable[[str, Mapping[str, Any]], bool]
"""wants(type, data): whether a subscriber acts on such an event."""


class EventInterest:
    """Which events the subscribers act on, asked as each event is stored.

    Until :meth:`seal` (called when the dispatcher's loop starts, after every part of
    the app has subscribed) every event is wanted, so nothing stored at start-up is
    passed over. A subscriber that names no interest wants every event.
    """

    def __init__(self) -> None:
        self._wants: list[Wants] = []
        self._everything = False
        self._sealed = False

    def add(self, wants: Wants | None) -> None:
        if wants is None:
            self._everything = True
        else:
            self._wants.append(wants)

    def seal(self) -> None:
        self._sealed = True

    def wants(self, type_: str, data: Mapping[str, Any]) -> bool:
        if self._everything or not self._sealed:
            return True
        return any(wants(type_, data) for wants in self._wants)


class EventDispatcher:
    """Pumps stored events to subscribers."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        signals: Signals,
        batch: int = 500,
        interest: EventInterest | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signals = signals
        self.batch = batch
        self.interest = interest or EventInterest()
        self.scope = ClaimScope.SERVER
        """Whose events this process delivers (a terminal chat sets its own)."""
        self._subscribers: list[Subscriber] = []
        self._cursor = 0
        self._queues: dict[str, asyncio.Queue[DomainEvent]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._inflight: set[int] = set()
        self._unmarked: set[int] = set()
        """Delivered events whose mark failed: marked with the next group, never redelivered
        by this process (after a restart they are delivered again: at least once)."""
        self._idle = asyncio.Event()
        self._idle.set()
        self._marks: GroupCommit[int, None] = GroupCommit(self._mark_delivered)

    def subscribe(self, subscriber: Subscriber, wants: Wants | None = None) -> None:
        """Call ``subscriber`` for every event (``wants``: every event it wants), after
        the commit that stored it."""
        self._subscribers.append(subscriber)
        self.interest.add(wants)

    async def pump(self) -> int:
        """Fetch undelivered events and queue them per conversation; returns how many."""
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(*EVENTS.c)
                    .where(
                        EVENTS.c.delivered_at.is_(None),
                        EVENTS.c.id > self._cursor,
                        of_conversation(EVENTS.c.conversation_id, self.scope),
                    )
                    .order_by(EVENTS.c.id)
                    .limit(self.batch)
                )
            ).all()
        for row in rows:
            self._cursor = max(self._cursor, row.id)
            if row.id in self._inflight or row.id in self._unmarked:
                continue
            event = DomainEvent.from_row(row)
            self._inflight.add(event.id)
            self._idle.clear()
            self._queue_for(event.order_key).put_nowait(event)
        return len(rows)

    def _queue_for(self, key: str) -> asyncio.Queue[DomainEvent]:
        queue = self._queues.get(key)
        if queue is None:
            queue = asyncio.Queue()
            self._queues[key] = queue
            self._workers[key] = asyncio.create_task(self._work(key, queue))
        return queue

    async def _work(self, key: str, queue: asyncio.Queue[DomainEvent]) -> None:
        """Deliver the key's events in order; mark them delivered together once the queue
        is empty (a crash before the mark delivers them again: at least once)."""
        delivered: list[int] = []
        while True:
            try:
                event = queue.get_nowait()
            except asyncio.QueueEmpty:
                if delivered:
                    await self._mark(delivered)
                    delivered = []
                    continue  # more may have been queued meanwhile
                del self._queues[key]
                del self._workers[key]
                if not self._inflight:
                    self._idle.set()
                return
            await self._deliver(event)
            delivered.append(event.id)
            if len(delivered) >= self.batch:
                await self._mark(delivered)
                delivered = []

    async def _deliver(self, event: DomainEvent) -> None:
        for subscriber in self._subscribers:
            try:
                await subscriber(event)
            except Exception:
                logger.exception(
                    "event subscriber failed", extra={"event_id": event.id, "event": event.type}
                )

    async def _mark(self, event_ids: list[int]) -> None:
        """Mark the events delivered (in one group with what other keys mark meanwhile).

        A failed mark (the database refused the write) is logged and tried again with the
        next one; the key's worker goes on delivering."""
        retried, self._unmarked = self._unmarked, set()
        marking = [*event_ids, *retried]
        results = await asyncio.gather(
            *(self._marks.submit(event_id) for event_id in marking), return_exceptions=True
        )
        failed = [
            i for i, result in zip(marking, results, strict=True) if isinstance(result, Exception)
        ]
        if failed:
            logger.error(
                "marking %d delivered events failed (%s); trying again with the next mark",
                len(failed),
                next(r for r in results if isinstance(r, Exception)),
            )
            self._unmarked.update(failed)
        self._inflight.difference_update(event_ids)

    async def _mark_delivered(self, event_ids: list[int]) -> list[None]:
        """One UPDATE for the deliveries that finished together."""
        async with self.db.session() as session:
            await session.execute(MARK_DELIVERED, {"event_ids": event_ids, "now": self.clock.now()})
        return [None] * len(event_ids)

    def rewind(self) -> None:
        """Make the next pump look at every undelivered event, not only those after the
        last one seen: a slow transaction may commit an event below the cursor."""
        self._cursor = 0

    async def pending(self) -> int:
        """How many stored events are not delivered yet."""
        from sqlalchemy import func

        async with self.db.read() as session:
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
            found = await self.pump()
            await self._idle.wait()
            if not found and not self._inflight:
                if self._unmarked:
                    await self._mark([])
                return

    async def run(self, poll_interval: float) -> None:
        """Background loop: wake on signal or every ``poll_interval`` seconds."""
        self.interest.seal()
        while True:
            try:
                await asyncio.wait_for(self.signals.events.wait(), poll_interval)
            except TimeoutError:
                self.rewind()
            self.signals.events.clear()
            try:
                while await self.pump() >= self.batch:
                    pass
            except Exception:
                logger.exception("event pump failed")

    async def stop(self) -> None:
        """Let queued deliveries finish."""
        await self._idle.wait()
