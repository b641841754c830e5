"""The :class:`~integrations.slack.ports.ReceiptStore` over the ``slack_receipts`` table.

Claims are leases (``claimed_until``): the process that stored a request holds it
while its listeners run; when that process dies or the work fails, the request is
claimed again after the lease, by any process (``SKIP LOCKED`` on PostgreSQL).
A request's work is done at least once; it is repeated only when a process stops
between finishing the work and recording it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from bot.core.clock import Clock
from bot.core.console_views import SlackRequest
from bot.storage.db import Database
from bot.storage.models import SlackReceipt
from bot.storage.sql import dialect_insert, table_of

LEASE = timedelta(minutes=2)
"""How long a claim holds: well over Slack's 3 s answer and a few API calls after it."""
RETRY_AFTER = timedelta(seconds=30)
KEEP_DONE = timedelta(days=7)
"""Slack retries for an hour at most; a week of keys keeps every repeat recognised."""

_TABLE = table_of(SlackReceipt)


class StorageReceiptStore:
    """Slack requests in the database, so repeats are recognised across processes and restarts."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def store(self, request: SlackRequest) -> bool:
        now = self.clock.now()
        async with self.db.session(urgent=True) as session:
            statement = (
                dialect_insert(session, _TABLE)
                .values(
                    key=request.key,
                    content_type=request.content_type,
                    body=request.body,
                    received_at=now,
                    claimed_until=now + LEASE,
                    attempts=0,
                )
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(_TABLE.c.id)
            )
            return (await session.execute(statement)).first() is not None

    async def done(self, key: str) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            await session.execute(
                update(_TABLE)
                .where(_TABLE.c.key == key)
                .values(processed_at=now, claimed_until=None)
            )

    async def failed(self, key: str, error: str, *, give_up: bool) -> None:
        now = self.clock.now()
        values = (
            {"processed_at": now, "claimed_until": None}
            if give_up
            else {"claimed_until": now + RETRY_AFTER}
        )
        async with self.db.session() as session:
            await session.execute(
                update(_TABLE)
                .where(_TABLE.c.key == key)
                .values(attempts=_TABLE.c.attempts + 1, error=error, **values)
            )

    async def claim_due(self, limit: int) -> list[SlackRequest]:
        now = self.clock.now()
        async with self.db.session() as session:
            due = (
                select(_TABLE.c.id)
                .where(
                    _TABLE.c.processed_at.is_(None),
                    or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until <= now),
                )
                .order_by(_TABLE.c.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = (
                await session.execute(
                    update(_TABLE)
                    .where(_TABLE.c.id.in_(due.scalar_subquery()))
                    .values(claimed_until=now + LEASE)
                    .returning(
                        _TABLE.c.key, _TABLE.c.content_type, _TABLE.c.body, _TABLE.c.attempts
                    )
                )
            ).all()
        return [SlackRequest(r.key, r.content_type, r.body, r.attempts) for r in rows]

    async def prune(self) -> int:
        """Forget requests done more than :data:`KEEP_DONE` ago."""
        async with self.db.session() as session:
            result = await session.execute(
                delete(_TABLE).where(_TABLE.c.processed_at < self.clock.now() - KEEP_DONE)
            )
            return int(getattr(result, "rowcount", 0) or 0)
