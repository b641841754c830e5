"""Unit of work: one transaction, what it causes written with it, the workers woken after.

Everything a change causes (domain events, outbound items, timers) is written in the
same transaction as the change (see :mod:`bot.storage.write_buffer`); the background
workers are woken after commit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.event_interest import EventInterest
from bot.core.signals import Signals
from bot.storage.db import Database
from bot.storage.read_ahead import ReadAhead
from bot.storage.write_buffer import NewMessage as NewMessage
from bot.storage.write_buffer import WriteBuffer

logger = logging.getLogger(__name__)


class Tx:
    """An open transaction: its session, its time, its savepoints.

    What it causes is gathered in :attr:`writes` (``tx.writes.record_event(...)``,
    ``enqueue``, ``add_message``, ``add_run_log``, ``touch``) and written just before
    commit; timers go through :meth:`schedule` and :meth:`cancel_timer`; rows read ahead
    for a batch wait in :attr:`read_ahead`.
    """

    def __init__(
        self, session: AsyncSession, now: datetime, interest: EventInterest | None = None
    ) -> None:
        self.session = session
        self.now = now
        self.writes = WriteBuffer(now, interest)
        self.read_ahead = ReadAhead()

    async def schedule(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """See :meth:`WriteBuffer.schedule`."""
        self.writes.schedule(kind, key, due_at, payload)

    async def cancel_timer(self, key: str) -> None:
        """See :meth:`WriteBuffer.cancel_timer`."""
        await self.writes.cancel_timer(self.session, key)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A savepoint: when the block fails, what it wrote and gathered is undone."""
        mark = self.writes.mark()
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            self.writes.undo(mark)
            raise


class EventHandOff(Protocol):
    """Who is handed what a transaction that wrote events wrote, as it commits (the
    process's event dispatcher)."""

    async def read_in(self, tx: Tx) -> list[Any] | None:
        """Read, inside ``tx`` and after its writes, what to hand over; None: nothing (the
        dispatcher reads for itself)."""
        ...

    def take(self, read: list[Any]) -> None:
        """Take what :meth:`read_in` read, once it is committed (on SQLite, before any
        later commit)."""
        ...


class UnitOfWork:
    """Opens transactions and wakes the workers after each commit."""

    def __init__(
        self, db: Database, clock: Clock, signals: Signals, interest: EventInterest | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.signals = signals
        self.interest = interest
        self.hand_off: EventHandOff | None = None
        """Handed what each commit that wrote events wrote (where writers take turns, as
        on SQLite, in commit order)."""

    @asynccontextmanager
    async def __call__(self, urgent: bool = False) -> AsyncIterator[Tx]:
        """One transaction; ``urgent`` for a sender waiting on it (see
        :meth:`~bot.storage.db.Database.transaction_gate`)."""
        # the gate goes at commit: closing the session passes through the event loop,
        # and no other writer should wait for that
        async with self.db.sessions() as session:
            async with self.db.transaction_gate(urgent):
                handed: list[Any] | None = None
                async with session.begin():
                    tx = Tx(session, self.clock.now(), self.interest)
                    yield tx
                    await tx.writes.write(session)
                    if tx.writes.written_events and self.hand_off is not None:
                        handed = await self._read_hand_off(self.hand_off, tx)
                if handed is not None:  # committed, and the next writer still waits
                    handed = self._hand_over(self.hand_off, handed)
            writes = tx.writes
            if writes.written_events:
                self.signals.events.set()
                if handed is None:
                    self.signals.unread_events.set()
            if writes.enqueued:
                self.signals.outbox.set()
            if writes.scheduled:
                self.signals.timers_changed(writes.first_due)

    @staticmethod
    async def _read_hand_off(hand_off: EventHandOff, tx: Tx) -> list[Any] | None:
        """What to hand over; None when that read fails (the transaction stands, and the
        dispatcher is woken to read for itself)."""
        try:
            return await hand_off.read_in(tx)
        except Exception:
            logger.exception("reading the events to hand over failed; the dispatcher reads them")
            return None

    @staticmethod
    def _hand_over(hand_off: EventHandOff | None, handed: list[Any]) -> list[Any] | None:
        """Hand ``handed`` over; None when that fails (the dispatcher reads them itself)."""
        try:
            assert hand_off is not None
            hand_off.take(handed)
        except Exception:
            logger.exception("handing over the events failed; the dispatcher reads them")
            return None
        return handed
