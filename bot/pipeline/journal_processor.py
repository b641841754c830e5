"""Turns journal entries into stored messages, in arrival order.

Each channel that journals its webhooks registers how to read a payload (``normalize``)
and, optionally, what to do once its message is stored (``after_stored``, e.g. stop a
Telegram button's spinner). A batch of entries is stored through the inbox in one
transaction with a handful of statements; if that fails, entry by entry (batches of
one), each in its own savepoint, so a bad entry is set aside (kept, with its error)
without holding up the rest.

Every entry is in its conversation's lane (:mod:`bot.pipeline.journal_lanes`). On
PostgreSQL a processing transaction first holds some of the lanes that have work (an
advisory lock each, skipping lanes another process holds), then reads and stores only
their entries: several processes store different conversations at once, and each
conversation in arrival order. On SQLite the one process holds every lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bot.core.messages import InboundMessage
from bot.pipeline.inbox import Inbox
from bot.pipeline.journal import AfterStored, InboundJournal, Normalize
from bot.pipeline.journal_lanes import ConversationOf, LaneTurns, lane_number
from bot.storage.pipeline.journal_store import (
    JournalEntry,
    mark_processed,
    pending_lanes,
    prune_processed,
    try_hold_lanes,
    unprocessed_entries,
)
from bot.storage.transient import is_transient
from bot.storage.uow import Tx, UnitOfWork

logger = logging.getLogger(__name__)


BATCH = 64
KEEP_PROCESSED = timedelta(days=7)
PRUNE_EVERY_S = 3600.0
GIVE_WAY_STEP_S = 0.05
FLOOD_BATCH = 16
ACK_WAIT_LIMIT_S = 0.02
FLOOD_RATE_PER_S = 500.0  # webhooks a second above which the door floods
GIVE_WAY_MAX_S = 1.0
LANES_BUSY_WAIT_S = 0.05  # another process holds the lanes with work: look again after this
_READ_AT = datetime(2000, 1, 1, tzinfo=UTC)  # a payload read at the door for its conversation


@dataclass(frozen=True)
class JournalReader:
    """How one channel reads its journal entries."""

    normalize: Normalize
    after_stored: AfterStored | None = None
    conversation: ConversationOf | None = None
    """The payload's conversation id, read cheaply (None: read with ``normalize``)."""

    def conversation_of(self, payload: dict[str, Any]) -> str | None:
        if self.conversation is not None:
            return self.conversation(payload)
        message = self.normalize(payload, _READ_AT)
        return message.external_conversation_id if message is not None else None


class Round(NamedTuple):
    """What one processing transaction did."""

    processed: int
    """Entries processed."""
    left: bool
    """Whether lanes with work were left (held by another process, or beyond this
    transaction's share)."""


class JournalProcessor:
    """Stores journaled payloads as messages through the inbox."""

    def __init__(
        self,
        uow: UnitOfWork,
        inbox: Inbox,
        batch: int = BATCH,
        door: InboundJournal | None = None,
        lanes: int | None = None,
    ) -> None:
        self.uow = uow
        self.inbox = inbox
        self.batch = batch
        self.door = door
        self.lanes: int = lanes or uow.db.settings.journal_lanes
        self.turns = LaneTurns(self.lanes, start=random.randrange(self.lanes))
        self.locks_lanes = uow.db.dialect == "postgresql"
        """Whether lanes are held against other processes (PostgreSQL)."""
        self.give_way_step_s = GIVE_WAY_STEP_S
        self.give_way_max_s = GIVE_WAY_MAX_S
        self.ack_wait_limit_s = ACK_WAIT_LIMIT_S
        self.flood_rate_per_s = FLOOD_RATE_PER_S
        self.readers: dict[str, JournalReader] = {}
        self._after_tasks: set[asyncio.Task[None]] = set()

    def register(
        self,
        channel: str,
        normalize: Normalize,
        after_stored: AfterStored | None = None,
        conversation: ConversationOf | None = None,
    ) -> None:
        """Tell the processor how to read ``channel``'s entries (and, optionally, how to
        read a payload's conversation id more cheaply than ``normalize`` does)."""
        self.readers[channel] = JournalReader(normalize, after_stored, conversation)

    def lane_of(self, channel: str, payload: dict[str, Any]) -> int:
        """The lane ``payload`` is journaled in: its conversation's, or lane 0 when it
        cannot be read (the processor sets it aside later)."""
        reader = self.readers.get(channel)
        if reader is None or self.lanes == 1:
            return 0
        try:
            conversation = reader.conversation_of(payload)
        except Exception:
            return 0
        return lane_number(channel, conversation, self.lanes) if conversation is not None else 0

    async def run_once(self, limit: int | None = None) -> int | None:
        """Process one batch; the number of entries, or None when other processes hold
        every lane with work."""
        count, left = await self._round(limit or self.batch)
        return None if left and not count else count

    async def _round(self, limit: int) -> Round:
        """One transaction: hold a share of the lanes with work (PostgreSQL; on SQLite the
        one process holds every lane), then read and store their first entries."""
        channels = sorted(self.readers)
        async with self.uow() as tx:
            lanes: list[int] | None = None
            left = False
            if self.locks_lanes:
                pending = await pending_lanes(tx, channels, self.lanes)
                if not pending:
                    return Round(0, left=False)
                lanes = await try_hold_lanes(
                    tx, self.turns.order(pending), self.turns.share(pending)
                )
                self.turns.taken(lanes)
                left = len(lanes) < len(pending)
                if not lanes:
                    return Round(0, left)
            entries = await unprocessed_entries(tx, channels, lanes, limit)
            if not entries:
                return Round(0, left)
            errors: dict[int, str] = {}
            readable = self._read(entries, errors)
            stored = await self._store_all(tx, entries, readable, errors)
        self._after(stored)
        return Round(len(entries), left)

    def _read(
        self, entries: list[JournalEntry], errors: dict[int, str]
    ) -> list[tuple[JournalEntry, JournalReader, InboundMessage]]:
        """The entries read as messages; the unreadable ones go to ``errors``."""
        readable: list[tuple[JournalEntry, JournalReader, InboundMessage]] = []
        for entry in entries:
            reader = self.readers[entry.channel]
            try:
                message = reader.normalize(entry.payload, entry.received_at)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                errors[entry.id] = f"unreadable payload: {type(exc).__name__}: {exc}"
                logger.warning("journal entry %s (%s) unreadable: %s", entry.id, entry.channel, exc)
                continue
            if message is not None:
                readable.append((entry, reader, message))
        return readable

    async def _store_all(
        self,
        tx: Tx,
        entries: list[JournalEntry],
        readable: list[tuple[JournalEntry, JournalReader, InboundMessage]],
        errors: dict[int, str],
    ) -> list[tuple[JournalReader, dict[str, Any]]]:
        """Store the readable entries and mark every one of ``entries`` processed; the
        after-stored calls the fresh ones are owed."""
        fresh = await self._store(tx, readable, errors)
        stored: list[tuple[JournalReader, dict[str, Any]]] = []
        for (entry, reader, _), is_fresh in zip(readable, fresh, strict=True):
            if is_fresh and reader.after_stored is not None:
                stored.append((reader, entry.payload))
        await mark_processed(tx, [e.id for e in entries], errors, tx.now)
        return stored

    def _after(self, stored: list[tuple[JournalReader, dict[str, Any]]]) -> None:
        for reader, payload in stored:
            assert reader.after_stored is not None
            task = asyncio.create_task(reader.after_stored(payload))
            self._after_tasks.add(task)
            task.add_done_callback(self._after_tasks.discard)

    async def _store(
        self,
        tx: Tx,
        readable: list[tuple[JournalEntry, JournalReader, InboundMessage]],
        errors: dict[int, str],
    ) -> list[bool]:
        """All at once; when that fails, one by one so only the bad entries are set aside.

        A database that cannot store them now (a lock, a deadlock, a lost connection) is
        no fault of the entries: that error ends the batch, and the entries stay in the
        journal for the next try.
        """
        if not readable:
            return []
        try:
            async with tx.savepoint():
                results = await self.inbox.store(tx, [message for _, _, message in readable])
            return [not result.duplicate for result in results]
        except Exception as exc:
            if is_transient(exc):
                raise
            logger.warning(
                "journal batch of %d failed; storing one by one", len(readable), exc_info=True
            )
        fresh: list[bool] = []
        for entry, _, message in readable:
            try:
                async with tx.savepoint():
                    (result,) = await self.inbox.store(tx, [message])
            except Exception as exc:
                if is_transient(exc):
                    raise
                errors[entry.id] = f"not stored: {type(exc).__name__}: {exc}"
                logger.exception("journal entry %s (%s) not stored", entry.id, entry.channel)
                fresh.append(False)
                continue
            fresh.append(not result.duplicate)
        return fresh

    async def drain(self) -> int:
        """Process until the journal is empty (waiting while other processes hold lanes)."""
        return await self.catch_up()

    async def prune(self, now: datetime) -> int:
        """Forget entries processed more than a week ago (their delivery ids with them)."""
        async with self.uow() as tx:
            return await prune_processed(tx, now - KEEP_PROCESSED)

    async def catch_up(self) -> int:
        """Process until the journal is empty; while webhooks are kept waiting, they go first.

        Storing a batch holds the event loop; when that makes acknowledgements wait
        longer than ``ack_wait_limit_s`` (the door's moving average), the processor
        waits while webhooks flood in (over ``flood_rate_per_s``), up to
        ``give_way_max_s`` at a time, storing small batches in between until the flood
        is over. The journal holds what arrives meanwhile; at ordinary rates nothing waits.
        Meanwhile the customer's work is under way (work on the side yields to it).
        """
        with self.uow.signals.foreground.working():
            return await self._catch_up()

    async def _catch_up(self) -> int:
        total = 0
        flooded = False
        while True:
            arrived = self.door.arrived if self.door is not None else 0
            limit = FLOOD_BATCH if flooded else self.batch
            count, left = await self._round(limit)
            if left and not count:
                await asyncio.sleep(LANES_BUSY_WAIT_S)  # other processes hold them: look again
                continue
            total += count
            if count and self.door is not None:
                await asyncio.sleep(0)  # requests that came in meanwhile reach the door
                busy = self.door.arrived != arrived
                if busy and (flooded or self.door.ack_wait_s > self.ack_wait_limit_s):
                    flooded = await self._give_way() >= self.give_way_max_s
                    continue
                flooded = False
            if count < limit and not left:
                return total  # the journal held no more; what arrives later wakes the loop

    async def _give_way(self) -> float:
        """Wait while payloads flood in (over ``flood_rate_per_s``), at most ``give_way_max_s``.

        Returns the seconds waited.
        """
        assert self.door is not None
        waited = 0.0
        while waited < self.give_way_max_s:
            arrived = self.door.arrived
            await asyncio.sleep(self.give_way_step_s)  # yielding to requests, not business time
            waited += self.give_way_step_s
            if self.door.arrived - arrived < self.flood_rate_per_s * self.give_way_step_s:
                break
        return waited

    async def run(self, wake: asyncio.Event, poll_interval: float) -> None:
        """Process whenever ``wake`` is set, and every ``poll_interval`` seconds."""
        last_prune = asyncio.get_running_loop().time()
        while True:
            wake.clear()
            try:
                await self.catch_up()
            except Exception:
                logger.exception("journal processing failed; retrying")
            loop_time = asyncio.get_running_loop().time()
            if loop_time - last_prune > PRUNE_EVERY_S:
                last_prune = loop_time
                try:
                    await self.prune(self.uow.clock.now())
                except Exception:
                    logger.exception("journal prune failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_interval)

    async def stop(self) -> None:
        """Let the after-stored calls under way finish."""
        if self._after_tasks:
            await asyncio.gather(*self._after_tasks, return_exceptions=True)
