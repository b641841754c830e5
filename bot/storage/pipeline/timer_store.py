"""The timers table as the scheduler uses it: claim the due ones, mark them fired, and
when the next one is due.

A claim is a lease (``claimed_until``), taken with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL so that processes never claim the same timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, Update, bindparam, or_, select, update

from bot.storage.claim_scope import ClaimScope, timers_in
from bot.storage.db import Database
from bot.storage.models import Timer


@dataclass(frozen=True)
class DueTimer:
    """A claimed timer, as its handler sees it."""

    id: int
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]


@cache
def _due(scope: ClaimScope, postgresql: bool) -> Select[Any]:
    """Timers of ``scope`` due at ``now`` (unclaimed, or their lease over), earliest
    first, at most ``limit`` (built once: building it cost more than running it)."""
    now = bindparam("now", type_=Timer.due_at.type)
    query = (
        select(Timer.id, Timer.kind, Timer.key, Timer.due_at, Timer.payload)
        .where(
            Timer.status == "pending",
            Timer.due_at <= now,
            or_(Timer.claimed_until.is_(None), Timer.claimed_until <= now),
            timers_in(scope),
        )
        .order_by(Timer.due_at, Timer.id)
        .limit(bindparam("limit", type_=Integer))
    )
    return query.with_for_update(skip_locked=True) if postgresql else query


_LEASE = (
    update(Timer)
    .where(Timer.id.in_(bindparam("timer_ids", expanding=True)))
    .values(claimed_until=bindparam("claimed_until"))
)


async def claim_due_timers(
    db: Database, now: datetime, claimed_until: datetime, scope: ClaimScope, limit: int
) -> list[DueTimer]:
    """Claim up to ``limit`` timers of ``scope`` due at ``now`` (unclaimed, or their lease
    over), earliest first, until ``claimed_until``; in one transaction."""
    query = _due(scope, db.dialect == "postgresql")
    async with db.session() as session:
        rows = (await session.execute(query, {"now": now, "limit": limit})).all()
        if rows:
            await session.execute(
                _LEASE, {"timer_ids": [r.id for r in rows], "claimed_until": claimed_until}
            )
        return [DueTimer(r.id, r.kind, r.key, r.due_at, dict(r.payload)) for r in rows]


def mark_fired(timer_ids: list[int], now: datetime) -> Update:
    """Mark these timers fired, unless they were cancelled or replaced meanwhile.

    The status is compared as ``status || ''``, which no index serves: given ``status =
    'pending'``, SQLite's planner (it keeps no statistics) would walk the due index
    through every waiting timer, a million of them with a million waiting runs, instead
    of looking the ids up by primary key.
    """
    return (
        update(Timer)
        .where(Timer.id.in_(timer_ids), Timer.status.concat("") == "pending")
        .values(status="fired", fired_at=now, claimed_until=None)
    )


async def mark_timers_fired(db: Database, timer_ids: list[int], now: datetime) -> None:
    """Mark these timers fired at ``now`` (see :func:`mark_fired`), in one transaction."""
    async with db.session() as session:
        await session.execute(mark_fired(timer_ids, now))


@cache
def _next_due(scope: ClaimScope) -> Select[Any]:
    """The earliest pending timer's due time in ``scope`` (built once per scope)."""
    return (
        select(Timer.due_at)
        .where(Timer.status == "pending", timers_in(scope))
        .order_by(Timer.due_at)
        .limit(1)
    )


async def next_due(db: Database, scope: ClaimScope) -> datetime | None:
    """When the earliest pending timer of ``scope`` is due (None: none pending)."""
    async with db.read() as session:
        due: datetime | None = await session.scalar(_next_due(scope))
    return due
