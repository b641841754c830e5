"""The ``slack_receipts`` table: Slack requests stored before they are acknowledged.

Each function is one short transaction of its own; the lease times are the caller's
(:mod:`bot.domain.slack_receipts`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from bot.core.console_views import SlackRequest
from bot.storage.db import Database
from bot.storage.models import SlackReceipt
from bot.storage.sql import dialect_insert, table_of

_TABLE = table_of(SlackReceipt)


async def insert_receipt(
    db: Database, request: SlackRequest, *, received_at: datetime, claimed_until: datetime
) -> bool:
    """Store ``request`` claimed until ``claimed_until``; False when its key was stored before."""
    async with db.session(urgent=True) as session:
        statement = (
            dialect_insert(session, _TABLE)
            .values(
                key=request.key,
                content_type=request.content_type,
                body=request.body,
                received_at=received_at,
                claimed_until=claimed_until,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_TABLE.c.id)
        )
        return (await session.execute(statement)).first() is not None


async def mark_receipt_done(db: Database, key: str, now: datetime) -> None:
    """The request's work is done: processed now, no longer claimed."""
    async with db.session() as session:
        await session.execute(
            update(_TABLE).where(_TABLE.c.key == key).values(processed_at=now, claimed_until=None)
        )


async def give_up_receipt(db: Database, key: str, error: str, now: datetime) -> None:
    """One more failed attempt, the last: processed now, never claimed again."""
    await _record_failure(db, key, error, {"processed_at": now, "claimed_until": None})


async def retry_receipt_after(db: Database, key: str, error: str, until: datetime) -> None:
    """One more failed attempt: claimable again after ``until``."""
    await _record_failure(db, key, error, {"claimed_until": until})


async def _record_failure(db: Database, key: str, error: str, values: dict[str, Any]) -> None:
    async with db.session() as session:
        await session.execute(
            update(_TABLE)
            .where(_TABLE.c.key == key)
            .values(attempts=_TABLE.c.attempts + 1, error=error, **values)
        )


async def claim_due_receipts(
    db: Database, now: datetime, *, claimed_until: datetime, limit: int
) -> list[SlackRequest]:
    """Claim up to ``limit`` unprocessed requests whose claim ran out, oldest first
    (``SKIP LOCKED`` on PostgreSQL), until ``claimed_until``."""
    async with db.session() as session:
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
                .values(claimed_until=claimed_until)
                .returning(_TABLE.c.key, _TABLE.c.content_type, _TABLE.c.body, _TABLE.c.attempts)
            )
        ).all()
    return [SlackRequest(r.key, r.content_type, r.body, r.attempts) for r in rows]


async def delete_receipts_done_before(db: Database, before: datetime) -> int:
    """Forget requests processed before ``before``; how many were forgotten."""
    async with db.session() as session:
        result = await session.execute(delete(_TABLE).where(_TABLE.c.processed_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
