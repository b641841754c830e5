"""The inbound journal's door: raw webhook payloads committed in groups, then acknowledged.

A webhook handler calls :meth:`InboundJournal.append` and answers the platform once it
returns. Requests that arrive while a commit is under way wait for the next one, so
under load one transaction carries many payloads (group commit) and each request still
gets its answer only after its own payload is durable. The journal processor
(:mod:`bot.journal_processor`) turns the entries into messages afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import Clock
from bot.db import Database
from bot.group_commit import GroupCommit
from bot.messages import InboundMessage
from bot.metrics import Metrics
from bot.models import InboundJournalEntry
from bot.signals import Signals

MAX_GROUP = 1000


@dataclass(frozen=True)
class _Entry:
    channel: str
    external_id: str
    payload: dict[str, Any]

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
        self._groups: GroupCommit[_Entry, bool] = GroupCommit(self._commit, MAX_GROUP)

    async def append(self, channel: str, external_id: str, payload: dict[str, Any]) -> bool:
        """Commit ``payload`` under the platform's delivery id; False for a redelivery.

        Raises when the commit fails, so the caller answers with an error and the
        platform delivers again.
        """
        fresh = await self._groups.submit(_Entry(channel, external_id, payload))
        self.metrics.inbound_messages.labels(channel, "stored" if fresh else "duplicate").inc()
        return fresh

    async def _commit(self, group: list[_Entry]) -> list[bool]:
        now = self.clock.now()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for entry in group:
            rows.setdefault(
                entry.key,
                {
                    "channel": entry.channel,
                    "external_id": entry.external_id,
                    "payload": entry.payload,
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
            inserted = {(row.channel, row.external_id) for row in result}
        self.signals.journal.set()
        fresh = []
        for entry in group:
            fresh.append(entry.key in inserted)
            inserted.discard(entry.key)  # a second copy in the same group is a redelivery
        return fresh


class UnreadablePayload(ValueError):
    """A payload that passed the door's checks but could not be read as a message."""


Normalize = Callable[[dict[str, Any], datetime], InboundMessage | None]
"""normalize(payload, received_at): the channel's reading of one payload (None: not a message)."""
Receive = Callable[[InboundMessage], Awaitable[object]]
AfterStored = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
"""after_stored(payload): what the channel does once the payload's message is stored."""


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
