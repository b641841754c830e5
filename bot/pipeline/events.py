"""Domain events: delivered to subscribers after commit, in order per conversation.

Events are rows written in the transaction that caused them. The dispatcher reads
undelivered rows, gives each order key (a conversation, a lead) one worker that
delivers the key's events one at a time in id order, and marks them delivered after
every subscriber ran. A crash before the mark redelivers the event on the next start:
delivery is at-least-once and subscribers are idempotent.

A worker delivers only while its key is held (:mod:`bot.pipeline.event_claims`): with one
process on the database every key is its own, and the events the dispatcher read go
straight to the key's queue. With several processes on PostgreSQL a key is held with
its advisory lock, and a worker reads its key's events once it holds the key (another
process may have delivered them in between).

While the dispatcher runs, a transaction that stored events hands them over as it
commits (:meth:`EventDispatcher.read_in`, :meth:`EventDispatcher.take`): with one
process, the events themselves; with several, their keys, so the process that stored
an event delivers it, and the others are not woken to compete for it. A key another
process holds at that moment is tried again shortly after. Otherwise the dispatcher
looks for undelivered events itself: at start, after a look cut at a batch, and on its
idle sweeps, which also find what a process stored and never delivered (it died, or
it runs no dispatcher).

A subscriber may say which events it acts on (:class:`EventInterest`); an event that
no subscriber wants is stored as delivered already, so nobody reads or marks it.

A detached subscriber (work on the side: the Slack thread mirror) gets a key's events
in order too, but nobody waits for it: it yields to the customer's work under way
(:class:`bot.core.foreground.Foreground`), and with one process on the database a key's
events are marked delivered once it is done with them, while the key's worker has
gone on. With several processes the worker marks them itself before it lets the key go
(another process could take the key and deliver them again), so there it waits for the
detached work, which then does not yield.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from bot.core.clock import Clock
from bot.core.event_interest import EventInterest, Wants
from bot.core.group_commit import GroupCommit
from bot.core.read_batch import ReadBatch
from bot.core.signals import Signals
from bot.pipeline.event_claims import EventClaims, InProcessClaims
from bot.pipeline.key_chains import KeyChains
from bot.pipeline.key_retries import KeyRetries
from bot.storage.claim_scope import ClaimScope
from bot.storage.db import Database
from bot.storage.pipeline.event_store import DomainEvent as DomainEvent
from bot.storage.pipeline.event_store import (
    count_undelivered,
    keys_with_undelivered,
    mark_delivered,
    owner_key,
    undelivered_events,
    undelivered_events_in,
    undelivered_events_of,
)
from bot.storage.uow import Tx

logger = logging.getLogger(__name__)


Subscriber = Callable[[DomainEvent], Awaitable[None]]


class EventDispatcher:
    """Pumps stored events to subscribers, each key's in order, while ``claims`` holds the key."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        signals: Signals,
        *,
        claims: EventClaims | None = None,
        batch: int = 500,
        interest: EventInterest | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signals = signals
        self.claims: EventClaims = claims or InProcessClaims()
        self.batch = batch
        self.interest = interest or EventInterest()
        self.scope = ClaimScope.SERVER
        """Whose events this process delivers (a terminal chat sets its own)."""
        self.delivered = 0
        """Events handed to the subscribers so far."""
        self._subscribers: list[Subscriber] = []
        self._detached: list[Subscriber] = []
        self._cursor = 0
        self._queues: dict[str, asyncio.Queue[DomainEvent]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        """Keys whose worker reads under the claim and must read once more."""
        self._inflight: set[int] = set()
        self._unmarked: set[int] = set()
        """Delivered events whose mark failed: marked with the next group, never redelivered
        by this process (after a restart they are delivered again: at least once)."""
        self._full = False
        self._taken = 0
        """Hand-offs taken so far (an idle sweep is for a loop that was idle)."""
        self._handed = False
        """Whether writing transactions hand this dispatcher their events, or with several
        processes their keys (while it runs): it then reads for itself only at start,
        after a look that was cut at a batch, and on its idle sweeps."""
        self._owed = KeyRetries(lambda key: self._start([key]))
        """Handed keys not yet held (another process held them when tried)."""
        self._idle = asyncio.Event()
        self._idle.set()
        self._side_work = KeyChains(self._check_idle)
        """Each key's detached work still under way (its deliveries, then its marks), in order."""
        self._marks: GroupCommit[int, None] = GroupCommit(self._mark_delivered)
        self._key_reads: ReadBatch[str, tuple[list[DomainEvent], bool]] = ReadBatch(
            self._read_keys, lambda: ([], False)
        )

    def subscribe(
        self, subscriber: Subscriber, wants: Wants | None = None, *, detached: bool = False
    ) -> None:
        """Call ``subscriber`` for every event (``wants``: every event it wants), after
        the commit that stored it.

        A ``detached`` subscriber (work on the side, such as a mirror of the chat) still
        gets each key's events one at a time, in order, and before they are marked
        delivered; but the key's next events go to the other subscribers without
        waiting for it, so a customer's reply never waits on it."""
        (self._detached if detached else self._subscribers).append(subscriber)
        self.interest.add(wants)

    async def pump(self) -> int:
        """Look for undelivered events and hand them (or their keys) to the keys' workers;
        returns how many were new to the workers."""
        if self.claims.rereads:
            return await self._pump_keys()
        return await self._pump_events()

    async def _pump_events(self) -> int:
        """Queue the undelivered events after the cursor to their keys' workers."""
        events = await undelivered_events(self.db, self._cursor, self.scope, self.batch)
        self._full = len(events) >= self.batch
        return self._queue_new(events)

    async def read_in(self, tx: Tx) -> list[DomainEvent] | list[str] | None:
        """What a writing transaction hands over (None while the dispatcher does not run):
        with one process, the undelivered events after the cursor, read inside it once its
        own are written; with several, the keys of the events it wrote (None when one of
        them has neither a conversation nor a lead: its key is its id, read later)."""
        if not self._handed:
            return None
        if self.claims.rereads:
            keys = [owner_key(*owner) for owner in tx.writes.event_owners]
            return None if None in keys else [key for key in keys if key is not None]
        return await undelivered_events_in(tx, self._cursor, self.scope, self.batch)

    def take(self, read: list[DomainEvent] | list[str]) -> None:
        """Take what a transaction handed over, once it committed: queue the events
        (writers take turns, so each hand-off holds every event committed before it: the
        keys' order holds), or start the keys' workers, which read under the key."""
        self._taken += 1
        if self.claims.rereads:
            keys = cast(list[str], read)
            self._owed.owe(keys)
            self._start(keys)
            return
        self._queue_new(cast(list[DomainEvent], read))
        if len(read) >= self.batch:  # cut at a batch: the rest is read as usual
            self.signals.unread_events.set()

    def _queue_new(self, events: list[DomainEvent]) -> int:
        """Queue the events not queued yet to their keys' workers; how many were new."""
        new = 0
        for event in events:
            self._cursor = max(self._cursor, event.id)
            if event.id in self._inflight or event.id in self._unmarked:
                continue
            self._inflight.add(event.id)
            self._queue_for(event.order_key).put_nowait(event)
            new += 1
        return new

    async def _pump_keys(self) -> int:
        """Start a worker for each key with undelivered events (one already at work reads
        again); no cursor, as other processes' events may commit out of id order."""
        keys = await keys_with_undelivered(self.db, self.scope, self.batch)
        self._full = len(keys) >= self.batch
        return self._start(keys)

    def _start(self, keys: list[str]) -> int:
        """Start a worker for each key (one already at work reads again); how many started."""
        new = 0
        for key in keys:
            if key in self._workers:
                self._again.add(key)
            else:
                self._queue_for(key)
                new += 1
        return new

    def _queue_for(self, key: str) -> asyncio.Queue[DomainEvent]:
        queue = self._queues.get(key)
        if queue is None:
            queue = asyncio.Queue()
            self._queues[key] = queue
            self._idle.clear()
            self.signals.foreground.begin()
            self._workers[key] = asyncio.create_task(self._work(key, queue))
        return queue

    async def _work(self, key: str, queue: asyncio.Queue[DomainEvent]) -> None:
        """Hold the key and deliver its events; a key another process holds is left to it."""
        try:
            async with self.claims.hold(key) as held:
                if held:
                    await self._deliver_key(key, queue)
                    return
        except Exception:
            logger.exception("event delivery failed", extra={"order_key": key})
        self._give_back(key, queue)
        self._owed.refused(key)  # a handed key: the other process is not woken for it

    async def _deliver_key(self, key: str, queue: asyncio.Queue[DomainEvent]) -> None:
        """Deliver the key's events in order; mark them delivered together once none are
        waiting (a crash before the mark delivers them again: at least once)."""
        delivered: list[int] = []
        read = self.claims.rereads
        while True:
            if read:
                if delivered:  # marked first: what the read finds is not delivered yet
                    await self._settle_and_mark(key, delivered)
                    delivered = []
                self._again.discard(key)
                events, read = await self._read_key(key)
            else:
                events = _take_all(queue)
            if not events:
                if delivered:
                    marked = await self._mark_after_detached(key, delivered)
                    delivered = []
                    if marked:
                        continue  # more may have been queued meanwhile
                if key in self._again:
                    read = True
                    continue
                self._finish(key, queue)
                return
            for event in events:
                await self._deliver(event, self._subscribers)
                if self._detached:
                    self._detach(key, event)
                delivered.append(event.id)
                if len(delivered) >= self.batch:
                    await self._mark_after_detached(key, delivered)
                    delivered = []

    def _detach(self, key: str, event: DomainEvent) -> None:
        """Hand ``event`` to the detached subscribers after the key's detached work before it."""
        yields = not self.claims.rereads
        self._chain(key, self._detached_delivery(event, yields))

    async def _detached_delivery(self, event: DomainEvent, yields: bool) -> None:
        if yields:
            await self.signals.foreground.yield_to()
        await self._deliver(event, self._detached)

    def _chain(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` after the key's detached work under way (its next link; it never
        raises: failures are logged in :meth:`_deliver` and :meth:`_mark`)."""
        self._idle.clear()
        self._side_work.add(key, work)

    async def _settle_and_mark(self, key: str, event_ids: list[int]) -> None:
        """Wait for the key's detached work, then mark ``event_ids`` delivered."""
        await self._side_work.settle(key)
        await self._mark(event_ids)

    async def _mark_after_detached(self, key: str, event_ids: list[int]) -> bool:
        """Mark ``event_ids`` delivered once the key's detached work is done with them:
        now, when there is none (or when the worker must mark before it lets the key go);
        else as the next link of that work, and the worker goes on. Whether it marked now."""
        if not self._side_work.busy(key) or self.claims.rereads:
            await self._settle_and_mark(key, event_ids)
            return True
        self._chain(key, self._mark(event_ids))
        return False

    async def _read_key(self, key: str) -> tuple[list[DomainEvent], bool]:
        """The key's undelivered events, read under its claim (with the keys other workers
        read meanwhile, in one query); and whether there may be more."""
        self._owed.held(key)  # what was handed for it is read now
        read, more = await self._key_reads.get(key)
        return [event for event in read if event.id not in self._unmarked], more

    async def _read_keys(self, keys: list[str]) -> dict[str, tuple[list[DomainEvent], bool]]:
        return await undelivered_events_of(self.db, keys, self.scope, self.batch)

    def _give_back(self, key: str, queue: asyncio.Queue[DomainEvent]) -> None:
        """Leave the key's queued events to a later pump."""
        self._again.discard(key)
        for event in _take_all(queue):
            self._inflight.discard(event.id)
            self._cursor = min(self._cursor, event.id - 1)
        self._finish(key, queue)

    def _finish(self, key: str, queue: asyncio.Queue[DomainEvent]) -> None:
        if self._queues.get(key) is queue:
            del self._queues[key]
            del self._workers[key]
            self.signals.foreground.end()
        if not self._workers and self._full:
            # the last look took in no more than one batch: look again
            self._full = False
            self.signals.unread_events.set()
        self._check_idle()

    def _check_idle(self) -> None:
        if not self._workers and not self._side_work:
            self._idle.set()

    async def _deliver(self, event: DomainEvent, subscribers: list[Subscriber]) -> None:
        if subscribers is self._subscribers:
            self.delivered += 1
        for subscriber in subscribers:
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
        await mark_delivered(self.db, event_ids, self.clock.now())
        return [None] * len(event_ids)

    @property
    def owed(self) -> int:
        """How many handed keys are still to be read under their claim."""
        return len(self._owed)

    def rewind(self) -> None:
        """Make the next pump look at every undelivered event, not only those after the
        last one seen: a slow transaction may commit an event below the cursor."""
        self._cursor = 0

    async def pending(self) -> int:
        """How many stored events are not delivered yet."""
        return await count_undelivered(self.db, self.scope)

    async def drain(self) -> None:
        """Deliver everything stored so far (and what those deliveries cause), but what
        another process holds now."""
        while True:
            before = self.delivered
            await self.pump()
            await self._idle.wait()
            if self.delivered == before:
                if self._unmarked:
                    await self._mark([])
                return

    async def run(self, poll_interval: float) -> None:
        """Background loop: wake on a signal (events stored and not handed over, here or
        in another process) or every ``poll_interval`` seconds.

        While it runs, with one process on the database, writing transactions hand it
        their events (:meth:`read_in`, :meth:`take`) instead of waking it to read them."""
        self.interest.seal()
        self._handed = True
        self.signals.unread_events.set()  # what was stored before it ran
        try:
            while True:
                taken = self._taken
                try:
                    await asyncio.wait_for(self.signals.unread_events.wait(), poll_interval)
                except TimeoutError:
                    if self._taken == taken:  # idle, not just handed everything
                        self.rewind()
                self.signals.unread_events.clear()
                try:
                    while await self.pump() >= self.batch:
                        pass
                except Exception:
                    logger.exception("event pump failed")
        finally:
            self._handed = False
            self._owed.clear()  # the other processes' sweeps find them

    async def stop(self) -> None:
        """Let queued deliveries finish."""
        await self._idle.wait()


def _take_all(queue: asyncio.Queue[DomainEvent]) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events
