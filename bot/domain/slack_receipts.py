"""The :class:`~integrations.slack.ports.ReceiptStore` over the ``slack_receipts`` table.

Claims are leases (``claimed_until``): the process that stored a request holds it
while its listeners run; when that process dies or the work fails, the request is
claimed again after the lease, by any process (``SKIP LOCKED`` on PostgreSQL).
A request's work is done at least once; it is repeated only when a process stops
between finishing the work and recording it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import Clock
from bot.core.console_views import SlackRequest
from bot.storage.db import Database
from bot.storage.domain import slack_receipt_records as records

LEASE = timedelta(minutes=2)
"""How long a claim holds: well over Slack's 3 s answer and a few API calls after it."""
RETRY_AFTER = timedelta(seconds=30)
KEEP_DONE = timedelta(days=7)
"""Slack retries for an hour at most; a week of keys keeps every repeat recognised."""


class StorageReceiptStore:
    """Slack requests in the database, so repeats are recognised across processes and restarts."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def store(self, request: SlackRequest) -> bool:
        now = self.clock.now()
        return await records.insert_receipt(
            self.db, request, received_at=now, claimed_until=now + LEASE
        )

    async def done(self, key: str) -> None:
        await records.mark_receipt_done(self.db, key, self.clock.now())

    async def failed(self, key: str, error: str, *, give_up: bool) -> None:
        now = self.clock.now()
        if give_up:
            await records.give_up_receipt(self.db, key, error, now)
        else:
            await records.retry_receipt_after(self.db, key, error, now + RETRY_AFTER)

    async def claim_due(self, limit: int) -> list[SlackRequest]:
        now = self.clock.now()
        return await records.claim_due_receipts(
            self.db, now, claimed_until=now + LEASE, limit=limit
        )

    async def prune(self) -> int:
        """Forget requests done more than :data:`KEEP_DONE` ago."""
        return await records.delete_receipts_done_before(self.db, self.clock.now() - KEEP_DONE)
