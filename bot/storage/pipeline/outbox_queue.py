"""The outbox queue's statements: claims and their leases (with what their kinds read
for sending), releases, done marks (with their handlers' follow-ups), retries and dead
letters, and when the next item is due.

:class:`bot.pipeline.outbox.Outbox` keeps the loop, the retries' timing, the metrics
and the handlers; every read and write of ``outbox_items`` it makes is here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update, UpdateBase

from bot.storage.claim_scope import ClaimScope, of_conversation
from bot.storage.db import Database
from bot.storage.models import OutboxItem
from bot.storage.pipeline.outbox_items import Delivery, Finish, FollowUpRow, Prepare
from bot.storage.sql import execute_many, table_of

logger = logging.getLogger(__name__)

CLAIM_LOCK = 0x72656C61790001
"""The transaction advisory lock that serializes claims on PostgreSQL (see :func:`claim`)."""
_OUTBOX = table_of(OutboxItem)
_MARK_DONE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("done_id"))
    .values(
        status="done",
        attempts=bindparam("done_attempts"),
        done_at=bindparam("done_at"),
        last_error=None,
        claimed_until=None,
    )
)
"""Items that went out, marked done (one executemany per group)."""


_MARK_CLAIMED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("claimed_ids", expanding=True)))
    .values(claimed_until=bindparam("claimed_until"))
)


@dataclass(frozen=True)
class DoneItem:
    """An item that went out: its attempts so far and what its handler still records."""

    id: int
    attempts: int
    finish: Finish | None


@cache
def claim_query(
    kinds: tuple[str, ...], postgresql: bool, scope: ClaimScope = ClaimScope.SERVER
) -> Select[Any]:
    """Due items of these kinds in ``scope``, oldest first, none behind an earlier item of
    its chat that still waits (``claim_now``, ``claim_limit``). Built once: building it
    cost more than running it."""
    item = _OUTBOX.c
    earlier = _OUTBOX.alias("earlier").c
    now = bindparam("claim_now", type_=item.next_attempt_at.type)
    limit = bindparam("claim_limit", type_=Integer)
    blocked_by_earlier = exists().where(
        earlier.destination == item.destination,
        earlier.status == "pending",
        earlier.id < item.id,
        or_(earlier.next_attempt_at > now, earlier.claimed_until > now),
    )

    def candidates(row: Any) -> list[ColumnElement[bool]]:
        return [
            row.status == "pending",
            row.next_attempt_at <= now,
            or_(row.claimed_until.is_(None), row.claimed_until <= now),
            row.kind.in_(kinds),
            of_conversation(row.conversation_id, scope),
        ]

    # Only each destination's first ``claim_limit`` candidates can be among the claim's
    # (an item behind a blocked one is blocked too), so only they are checked for an
    # earlier item that waits: a destination's long due backlog costs one pass, not a
    # look back along the backlog for each of its items.
    ranked = _OUTBOX.alias("ranked").c
    position = func.row_number().over(partition_by=ranked.destination, order_by=ranked.id)
    firsts = select(ranked.id, position.label("position")).where(*candidates(ranked)).subquery()
    query = (
        select(_OUTBOX)
        .where(
            *candidates(item),
            item.id.in_(select(firsts.c.id).where(firsts.c.position <= limit)),
            or_(item.destination == "", ~blocked_by_earlier),
        )
        # SQLite: "+id" keeps the planner on the due index (status, next_attempt_at), which
        # passes by what is not due (a held destination's backlog), and sorts what is;
        # walking every pending item in id order instead costs a lookup for each
        .order_by(item.id if postgresql else literal_column("+outbox.id"))
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True, of=_OUTBOX) if postgresql else query


async def claim(
    db: Database,
    kinds: tuple[str, ...],
    scope: ClaimScope,
    *,
    now: datetime,
    limit: int,
    lease_until: datetime,
    prepare: Mapping[str, Prepare],
    held: Mapping[str, datetime] | None = None,
) -> list[Delivery]:
    """Claim up to ``limit`` due items of these kinds in ``scope``, leased until
    ``lease_until``; in the same transaction, each kind's ``prepare`` reads what its
    claimed items need (see :func:`_prepare`).

    ``held``: destinations that may not send before a time (their pace, a Retry-After).
    Their items queued since they were last given back are made due then first, as
    :func:`give_back` does, so the claim's scan of the due index passes them by instead
    of finding each of them blocked behind the destination's first item."""
    postgresql = db.dialect == "postgresql"
    query = claim_query(kinds, postgresql, scope)
    async with db.session() as session:
        for destination, ready in (held or {}).items():
            await session.execute(_defer(destination, [], ready, now))
        if postgresql:
            # Needed for per-destination order, so kept: one claim at a time across
            # processes. Under SKIP LOCKED a second claim skips the rows a first one has
            # locked but not yet marked, and its snapshot still shows them unleased, so
            # "no earlier item of this destination is pending and leased" holds for the
            # next item of the same chat, which it would claim and send ahead of them.
            # The lock is held for the claim's statements (and its kinds' reads) only,
            # milliseconds, never while anything is sent, so it serializes the claims
            # and nothing else.
            await session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
        rows = (await session.execute(query, {"claim_now": now, "claim_limit": limit})).all()
        if not rows:
            return []
        await session.execute(
            _MARK_CLAIMED,
            {"claimed_ids": [r.id for r in rows], "claimed_until": lease_until},
        )
        deliveries = [Delivery.from_row(r) for r in rows]
        await _prepare(session, deliveries, prepare)
        return deliveries


async def _prepare(
    session: AsyncSession, deliveries: list[Delivery], prepare: Mapping[str, Prepare]
) -> None:
    """Each kind's ``prepare`` on its items, in a savepoint: one that fails reads nothing
    (its items are sent without) and leaves the claim standing."""
    kinds: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.kind in prepare:
            kinds.setdefault(delivery.kind, []).append(delivery)
    for kind, items in kinds.items():
        try:
            async with session.begin_nested():
                await prepare[kind](session, items)
        except Exception:
            logger.exception(
                "preparing %d %s items failed; they are sent without", len(items), kind
            )
            for delivery in items:
                delivery.context.clear()


async def release(db: Database, ids: list[int]) -> None:
    """Give these claimed items back (their lease ends now)."""
    if ids:
        async with db.session() as session:
            await session.execute(
                update(OutboxItem).where(OutboxItem.id.in_(ids)).values(claimed_until=None)
            )


async def give_back(
    db: Database, destination: str, ids: list[int], next_attempt_at: datetime, now: datetime
) -> None:
    """Give these claimed items of ``destination`` back unsent, due again at
    ``next_attempt_at`` (the destination may not send before: its pace, a Retry-After),
    and with them every other pending item of the destination due before then: a held
    destination's backlog is then not due, and the claim's scan of the due index passes
    it by instead of finding each of its items blocked, on every claim."""
    if not ids:
        return
    async with db.session() as session:
        await session.execute(_defer(destination, ids, next_attempt_at, now))


def _defer(destination: str, ids: list[int], next_attempt_at: datetime, now: datetime) -> Update:
    """Items ``ids`` of ``destination`` given back, and its other pending unleased items
    due before ``next_attempt_at``, all due then."""
    item = _OUTBOX.c
    unleased = or_(item.claimed_until.is_(None), item.claimed_until <= now)
    return (
        update(_OUTBOX)
        .where(
            item.destination == destination,
            item.status == "pending",
            or_(item.id.in_(ids), and_(unleased, item.next_attempt_at < next_attempt_at)),
        )
        .values(claimed_until=None, next_attempt_at=next_attempt_at)
    )


async def record_done(db: Database, now: datetime, done: Sequence[DoneItem]) -> None:
    """One transaction for the items that went out together: their follow-ups and done marks."""
    async with db.session() as session:
        rows: dict[UpdateBase, list[dict[str, Any]]] = {}
        for item in done:
            if isinstance(item.finish, FollowUpRow):
                rows.setdefault(item.finish.statement, []).append(item.finish.values)
            elif item.finish is not None:
                await item.finish(session)
        for statement, values in rows.items():
            await execute_many(session, statement, values)
        await execute_many(
            session,
            _MARK_DONE,
            [{"done_id": item.id, "done_attempts": item.attempts, "done_at": now} for item in done],
        )


async def schedule_retry(
    db: Database, item_id: int, *, attempts: int, last_error: str, next_attempt_at: datetime
) -> None:
    """The item failed for now: it goes again at ``next_attempt_at`` (its lease ends)."""
    await _mark(
        db, item_id, attempts=attempts, last_error=last_error, next_attempt_at=next_attempt_at
    )


async def mark_dead(db: Database, item_id: int, *, attempts: int, last_error: str) -> None:
    """The item failed for good (its lease ends)."""
    await _mark(db, item_id, status="dead", attempts=attempts, last_error=last_error)


async def _mark(db: Database, item_id: int, **values: Any) -> None:
    values["claimed_until"] = None
    async with db.session() as session:
        await session.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(**values))


async def next_due(db: Database, scope: ClaimScope) -> datetime | None:
    """When the earliest pending item in ``scope`` is due (None when none is)."""
    async with db.session() as session:
        return await session.scalar(
            select(OutboxItem.next_attempt_at)
            .where(
                OutboxItem.status == "pending",
                of_conversation(OutboxItem.conversation_id, scope),
            )
            .order_by(OutboxItem.next_attempt_at)
            .limit(1)
        )
