"""How an event dispatcher takes an order key's events for itself: the claim strategies.

The dispatcher (:class:`bot.pipeline.events.EventDispatcher`) delivers a key's events (one
conversation, one lead) only while it holds the key. With one process on the database
(SQLite) every key is its own: :class:`InProcessClaims`. With several processes on one
PostgreSQL database, :class:`AdvisoryClaims` holds the key's advisory lock, which the
workflow runner takes too (timers, delivery failures): so each event is handled by one
process at a time, in id order per key. A process killed mid-delivery drops its locks
with its connection, and the next process to look redelivers (at least once).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from bot.storage.advisory_locks import AdvisoryLocks


class EventClaims(Protocol):
    """Whether, and how, a key's events are taken from other processes."""

    rereads: bool
    """Whether events read before the key was held must be read again under it (another
    process may have delivered them meanwhile)."""

    def hold(self, key: str) -> AbstractAsyncContextManager[bool]:
        """Hold ``key`` while its events are delivered; yields False when another process
        has it now (holding nothing then)."""
        ...


class _Held:
    """A hold that is always granted and holds nothing."""

    async def __aenter__(self) -> bool:
        return True

    async def __aexit__(self, *_exc: object) -> None:
        return None


class InProcessClaims:
    """One process delivers every event: each key is this process's at once."""

    rereads = False
    _held = _Held()

    def hold(self, key: str) -> AbstractAsyncContextManager[bool]:
        """Every key is held already (one worker per key runs in the dispatcher)."""
        return self._held


class AdvisoryClaims:
    """Keys held across processes with PostgreSQL advisory locks, ``workers`` at a time."""

    rereads = True

    def __init__(self, locks: AdvisoryLocks, *, workers: int = 32) -> None:
        self.locks = locks
        self._gate = asyncio.Semaphore(workers)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        """Hold ``key``'s advisory lock unless another process holds it."""
        async with self._gate, self.locks.try_hold(key) as held:
            yield held
