"""The inbound journal's door: raw webhook payloads committed in groups, then acknowledged.

A webhook handler calls :meth:`InboundJournal.append` and answers the platform once it
returns. Requests that arrive while a commit is under way wait for the next one, so
under load one transaction carries many payloads (group commit) and each request still
gets its answer only after its own payload is durable. Each payload is journaled in its
conversation's lane (:attr:`InboundJournal.lane_of`, the journal processor's reading).
The journal processor (:mod:`bot.pipeline.journal_processor`) turns the entries into
messages afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from bot.core.clock import Clock
from bot.core.errors import StorageTimeout
from bot.core.group_commit import GroupCommit
from bot.core.messages import InboundMessage
from bot.core.metrics import Metrics
from bot.core.signals import Signals
from bot.pipeline.journal_lanes import LaneOf, no_lanes
from bot.storage.db import Database
from bot.storage.pipeline.journal_store import JournalPayload, append_payloads

MAX_GROUP = 1000
ACK_WAIT_WEIGHT = 0.1  # of the newest wait in the moving average


class InboundJournal:
    """Durable, deduplicated intake of raw inbound payloads."""

    def __init__(self, db: Database, clock: Clock, signals: Signals, metrics: Metrics) -> None:
        self.db = db
        self.clock = clock
        self.signals = signals
        self.metrics = metrics
        self._groups: GroupCommit[JournalPayload, bool] = GroupCommit(self._commit, MAX_GROUP)
        self.arrived = 0
        """Payloads handed to :meth:`append` so far (the processor watches the inflow)."""
        self.ack_wait_s = 0.0
        """Moving average of how long an append waits for its commit (the processor watches it)."""
        self.lane_of: LaneOf = no_lanes
        """The lane of a payload (the processor's :meth:`~bot.pipeline.journal_processor.JournalProcessor.lane_of`)."""

    async def append(
        self, channel: str, external_id: str, payload: dict[str, Any], body: str | None = None
    ) -> bool:
        """Commit ``payload`` under the platform's delivery id; False for a redelivery.

        ``body`` is the payload's JSON text as it arrived, when the caller has it: it is
        stored as is instead of being encoded again. Raises when the commit fails, so
        the caller answers with an error and the platform delivers again:
        :class:`~bot.core.errors.StorageTimeout` when it is not done within
        ``settings.store_timeout_s`` (the payload may still be stored later; its
        redelivery is then recognised).
        """
        self.arrived += 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        lane = self.lane_of(channel, payload)
        fresh = await self._submit(JournalPayload(channel, external_id, payload, body, lane))
        waited = loop.time() - started
        self.ack_wait_s += (waited - self.ack_wait_s) * ACK_WAIT_WEIGHT
        self.metrics.receive_seconds.observe(waited)
        self.metrics.inbound_messages.labels(channel, "stored" if fresh else "duplicate").inc()
        return fresh

    async def _submit(self, entry: JournalPayload) -> bool:
        limit = self.db.settings.store_timeout_s
        timeout = asyncio.timeout(limit)
        try:
            async with timeout:
                return await self._groups.submit(entry)
        except TimeoutError as exc:
            if not timeout.expired():
                raise
            raise StorageTimeout(limit) from exc

    async def _commit(self, group: list[JournalPayload]) -> list[bool]:
        now = self.clock.now()
        rows: dict[tuple[str, str], JournalPayload] = {}
        for entry in group:
            rows.setdefault(entry.key, entry)
        inserted = await append_payloads(self.db, list(rows.values()), now)
        self.signals.journal.set()
        fresh = []
        for entry in group:
            fresh.append(entry.key in inserted)
            inserted.discard(entry.key)  # a second copy in the same group is a redelivery
        return fresh


Intake = Callable[[str, str, dict[str, Any], str | None], Awaitable[bool]]
"""intake(channel, delivery id, payload, body): commits the raw payload; False for a redelivery.

``body`` is the payload's JSON text as received (None when the caller has only the payload).
"""


Normalize = Callable[[dict[str, Any], datetime], InboundMessage | None]
"""normalize(payload, received_at): the channel's reading of one payload (None: not a message)."""
AfterStored = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
"""after_stored(payload): what the channel does once the payload's message is stored."""


def message_payload(message: InboundMessage) -> dict[str, Any]:
    """The journal's payload for a channel that builds its messages itself (the widget,
    the terminal chat): the message as JSON; :func:`read_message_payload` reads it back."""
    return message.model_dump(mode="json")


def read_message_payload(payload: dict[str, Any], _received_at: datetime) -> InboundMessage:
    """The :data:`Normalize` of such a channel: the message, as it was built."""
    return InboundMessage.model_validate(payload)
