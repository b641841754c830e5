"""Work on one conversation serialized across processes (PostgreSQL advisory locks).

A key (``conversation:12``) is held in two steps: first an asyncio lock in this
process, then a session-level advisory lock on this process's own lock connection.
PostgreSQL releases a session's advisory locks when the session ends, so a killed
process frees its conversations at once; nothing waits for a lease to run out. The tries
and the unlocks that tasks ask for while one is under way go together in the next round
trip (a group commit), so a busy process does not queue a round trip per key.
Holding is re-entrant within one asyncio task (the event dispatcher holds the key while the
runner, called by it, asks for the same key).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bot.core.group_commit import GroupCommit
from bot.core.keyed_lock import KeyedLock

logger = logging.getLogger(__name__)

KEEPALIVE = {
    # a half-open connection (a frozen or cut-off host) is noticed within about a minute
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


_TRY_MANY = (
    "SELECT pg_try_advisory_lock(wanted.id) AS held"
    " FROM unnest($1::bigint[]) WITH ORDINALITY AS wanted(id, position) ORDER BY position"
)
_UNLOCK_MANY = "SELECT pg_advisory_unlock(wanted.id) FROM unnest($1::bigint[]) AS wanted(id)"


def lock_id(key: str) -> int:
    """The signed 64-bit advisory lock number for ``key``."""
    return int.from_bytes(
        hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big", signed=True
    )


class AdvisoryLocks:
    """Per-key locks that hold across every process using the same PostgreSQL database."""

    def __init__(self, dsn: str, *, retry_min: float = 0.005, retry_max: float = 0.2) -> None:
        self._dsn = dsn
        self._local = KeyedLock()
        self._owners: dict[str, asyncio.Task[object] | None] = {}
        self._conn: Any = None
        self._io = asyncio.Lock()
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._tries: GroupCommit[int, bool] = GroupCommit(self._try_many)
        self._unlocks: GroupCommit[int, None] = GroupCommit(self._unlock_many)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold ``key``, waiting for whichever task or process holds it now."""
        if self._mine(key):
            yield
            return
        async with self._local.hold(key):
            delay = self._retry_min
            while not await self._try(key):
                await asyncio.sleep(delay)  # another process holds it: retry, backing off
                delay = min(delay * 2, self._retry_max)
            async with self._held(key):
                yield

    @asynccontextmanager
    async def try_hold(self, key: str) -> AsyncIterator[bool]:
        """Hold ``key`` unless another process holds it (yields False then, holding nothing).

        A holder in this process is waited for: it finishes soon, and what it leaves
        behind is then this caller's to do.
        """
        if self._mine(key):
            yield True
            return
        async with self._local.hold(key):
            if not await self._try(key):
                yield False
                return
            async with self._held(key):
                yield True

    def busy(self, key: str) -> bool:
        """Whether a task of this process holds ``key`` or waits for it."""
        return self._local.busy(key)

    def _mine(self, key: str) -> bool:
        return key in self._owners and self._owners[key] is asyncio.current_task()

    @asynccontextmanager
    async def _held(self, key: str) -> AsyncIterator[None]:
        self._owners[key] = asyncio.current_task()
        try:
            yield
        finally:
            del self._owners[key]
            await asyncio.shield(self._unlock(key))

    async def _try(self, key: str) -> bool:
        return await self._tries.submit(lock_id(key))

    async def _unlock(self, key: str) -> None:
        await self._unlocks.submit(lock_id(key))

    async def _try_many(self, ids: list[int]) -> list[bool]:
        """Try each lock (one key per caller: the local lock lets one task per key try)."""
        async with self._io:
            conn = await self._connection()
            rows = await conn.fetch(_TRY_MANY, ids)
        return [bool(row["held"]) for row in rows]

    async def _unlock_many(self, ids: list[int]) -> list[None]:
        async with self._io:
            if self._conn is None or self._conn.is_closed():
                return [None] * len(ids)  # the session ended, and its locks with it
            try:
                await self._conn.execute(_UNLOCK_MANY, ids)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                logger.exception(
                    "advisory unlock failed; closing the lock connection frees every lock"
                )
                await self._drop()
        return [None] * len(ids)

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                self._dsn, server_settings={"application_name": "relaybot-locks", **KEEPALIVE}
            )
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    async def close(self) -> None:
        """Close the lock connection (PostgreSQL releases whatever it still held)."""
        async with self._io:
            if self._conn is not None and not self._conn.is_closed():
                await self._conn.close()
            self._conn = None
