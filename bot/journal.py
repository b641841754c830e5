"""The inbound journal's door: raw webhook payloads committed in groups, then acknowledged.

A webhook handler calls :meth:`InboundJournal.append` and answers the platform once it
returns. Requests that arrive while a commit is under way wait for the next one, so
under load one transaction carries many payloads (group commit) and each request still
gets its answer only after its own payload is durable. The journal processor
(:mod:`bot.journal_processor`) turns the entries into messages afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import Clock
from bot.db import Database
from bot.messages import InboundMessage
from bot.metrics import Metrics
from bot.models import InboundJournalEntry
from bot.signals import Signals

logger = logging.getLogger(__name__)

MAX_GROUP = 1000


@dataclass
class _Waiting:
    channel: str
    external_id: str
    payload: dict[str, Any]
    done: asyncio.Future[bool] = field(repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.channel, self.external_id


class InboundJournal:
    """Durable, deduplicated intake of raw inbound payloads."""

    def __init__(self, db: Database, clock: Clock, signals: Signals, metrics: Metrics) -> None:
        self.db = db
        self.clock = clock
        self.signals = signals
        self.metrics = metrics
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, channel: str, external_id: str, payload: dict[str, Any]) -> bool:
        """Commit ``payload`` under the platform's delivery id; False for a redelivery.

        Raises when the commit fails, so the caller answers with an error and the
        platform delivers again.
        """
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(channel, external_id, payload, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="journal-writer")
        fresh = await asyncio.shield(done)
        self.metrics.inbound_messages.labels(channel, "stored" if fresh else "duplicate").inc()
        return fresh

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            try:
                inserted = await self._commit(group)
            except Exception as exc:
                logger.exception("inbound journal: a group of %d was not committed", len(group))
                for waiting in group:
                    if not waiting.done.done():
                        waiting.done.set_exception(exc)
                continue
            for waiting in group:
                fresh = waiting.key in inserted
                inserted.discard(waiting.key)  # a second copy in the same group is a duplicate
                if not waiting.done.done():
                    waiting.done.set_result(fresh)
            self.signals.journal.set()

    async def _commit(self, group: list[_Waiting]) -> set[tuple[str, str]]:
        now = self.clock.now()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for waiting in group:
            rows.setdefault(
                waiting.key,
                {
                    "channel": waiting.channel,
                    "external_id": waiting.external_id,
                    "payload": waiting.payload,
                    "received_at": now,
                },
            )
        table = InboundJournalEntry.__table__
        module: Any = postgresql if self.db.dialect == "postgresql" else sqlite
        statement = (
            module.insert(table)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(table.c.channel, table.c.external_id)
        )
        async with self.db.session(urgent=True) as session:
            result = await session.execute(statement, list(rows.values()))
            return {(row.channel, row.external_id) for row in result}


class UnreadablePayload(ValueError):
    """A payload that passed the door's checks but could not be read as a message."""


Normalize = Callable[[dict[str, Any], datetime], InboundMessage | None]
Receive = Callable[[InboundMessage], Awaitable[object]]
AfterStored = Callable[[dict[str, Any]], Awaitable[None]]


def direct_intake(
    receive: Receive, clock: Clock, normalize: Normalize, after_stored: AfterStored | None = None
) -> Callable[[str, str, dict[str, Any]], Awaitable[bool]]:
    """An intake that reads and stores each payload at once, in the request.

    Used on PostgreSQL, where concurrent requests commit side by side in several
    processes and group commit buys little; SQLite takes the journal.
    """

    async def intake(_channel: str, _delivery_id: str, payload: dict[str, Any]) -> bool:
        try:
            message = normalize(payload, clock.now())
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise UnreadablePayload(f"{type(exc).__name__}: {exc}") from exc
        if message is None:
            return False
        await receive(message)
        if after_stored is not None:
            await after_stored(payload)
        return True

    return intake
