"""The inbound journal's table: payloads appended in groups, read in arrival order,
marked processed (or set aside with their error), and pruned.

On a SQLite file a group is appended by one plain ``sqlite3`` statement, a transaction
of its own, whose payloads are the bodies as they arrived (no encoding again); elsewhere
by one Core INSERT in a session. Each entry carries its conversation's lane: on
PostgreSQL a processing transaction holds some lanes (:func:`try_hold_lanes`, a
transaction-level advisory lock per lane) and reads only their entries
(:func:`unprocessed_entries` in those lanes), so several processes store different conversations at
once and each conversation in order.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, delete, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import InboundJournalEntry
from bot.storage.sql import dialect_insert, table_of
from bot.storage.sqlite_inline import unlocked
from bot.storage.uow import Tx

LANE_LOCKS = 0x6C616E65
"""The first key of a lane's advisory lock (the lane number is the second): the two-key
locks are apart from the one-key locks of :mod:`bot.storage.advisory_locks`."""


@dataclass(frozen=True)
class JournalPayload:
    """A raw payload to append under its platform's delivery id."""

    channel: str
    external_id: str
    payload: dict[str, Any]
    body: str | None
    """The payload's JSON text as it arrived (None: encoded from ``payload``)."""
    lane: int = 0
    """The lane of the payload's conversation."""

    @property
    def key(self) -> tuple[str, str]:
        return self.channel, self.external_id


@dataclass(frozen=True)
class JournalEntry:
    """A stored payload waiting to be processed."""

    id: int
    channel: str
    payload: dict[str, Any]
    received_at: datetime


_TABLE = table_of(InboundJournalEntry)
_ENTRY_IDS: BindParameter[list[int]] = bindparam("entry_ids", expanding=True)
_UNPROCESSED = (
    select(_TABLE.c.id, _TABLE.c.channel, _TABLE.c.payload, _TABLE.c.received_at)
    .where(
        _TABLE.c.processed_at.is_(None),
        _TABLE.c.channel.in_(bindparam("channels", expanding=True)),
    )
    .order_by(_TABLE.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_UNPROCESSED_IN_LANES = _UNPROCESSED.where(_TABLE.c.lane.in_(bindparam("lanes", expanding=True)))
_PENDING_LANES = text(
    # one probe of the lane's pending entries (ix_inbound_journal_lane_pending) per lane,
    # however long the journal's backlog
    "SELECT candidates.lane FROM generate_series(0, :last) AS candidates(lane)"
    " WHERE EXISTS (SELECT 1 FROM inbound_journal AS entry"
    " WHERE entry.lane = candidates.lane AND entry.processed_at IS NULL"
    " AND entry.channel = ANY(CAST(:channels AS varchar[])))"
)
_TRY_HOLD_LANES = text(
    # rows are tried in the array's order and the scan stops at the limit, so only the
    # lanes returned are locked (a lane another transaction holds is skipped)
    "SELECT lane FROM unnest(CAST(:lanes AS integer[])) AS candidates(lane)"
    " WHERE pg_try_advisory_xact_lock(:space, lane) LIMIT :most"
)
_MARK_PROCESSED = (
    update(_TABLE).where(_TABLE.c.id.in_(_ENTRY_IDS)).values(processed_at=bindparam("now"))
)


async def append_payloads(
    db: Database, entries: list[JournalPayload], now: datetime
) -> set[tuple[str, str]]:
    """Store ``entries`` (distinct keys) received at ``now``, in one transaction that
    may go before queued background work; the keys that were new (not a redelivery)."""
    async with db.sqlite_statement(urgent=True) as connection:
        if connection is not None:  # one statement, its own transaction: safe to try again
            insert = functools.partial(_insert_sqlite, connection, entries, now)
            inserted = await unlocked(insert)
    if connection is None:
        async with db.session(urgent=True) as session:
            inserted = await _insert_core(session, entries, now)
    return inserted


async def _insert_core(
    session: AsyncSession, entries: list[JournalPayload], now: datetime
) -> set[tuple[str, str]]:
    statement = (
        dialect_insert(session, _TABLE)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(_TABLE.c.channel, _TABLE.c.external_id)
    )
    values = [
        {
            "channel": e.channel,
            "external_id": e.external_id,
            "payload": e.payload,
            "received_at": now,
            "lane": e.lane,
        }
        for e in entries
    ]
    result = await session.execute(statement, values)
    return {(row.channel, row.external_id) for row in result}


def _insert_sqlite(
    connection: sqlite3.Connection, entries: list[JournalPayload], now: datetime
) -> set[tuple[str, str]]:
    """One multi-row INSERT, a transaction of its own, whose payloads are the bodies as
    they arrived (no encoding again)."""
    stamp = _TABLE.c.received_at.type.bind_processor(sqlite.dialect())
    received_at = stamp(now) if stamp is not None else now
    params: list[Any] = []
    for entry in entries:
        body = entry.body if entry.body is not None else json.dumps(entry.payload)
        params.extend((entry.channel, entry.external_id, body, received_at, entry.lane))
    rows = ", ".join(["(?, ?, ?, ?, ?)"] * len(entries))
    statement = (
        "INSERT INTO inbound_journal (channel, external_id, payload, received_at, lane)"
        f" VALUES {rows} "
        "ON CONFLICT (channel, external_id) DO NOTHING RETURNING channel, external_id"
    )
    return {
        (channel, external_id) for channel, external_id in connection.execute(statement, params)
    }


async def pending_lanes(tx: Tx, channels: list[str], lanes: int) -> list[int]:
    """Which of the ``lanes`` lanes hold unprocessed entries of ``channels``, in lane
    order. PostgreSQL only."""
    params = {"channels": channels, "last": lanes - 1}
    return sorted(await tx.session.scalars(_PENDING_LANES, params))


async def try_hold_lanes(tx: Tx, lanes: list[int], most: int) -> list[int]:
    """Hold the first ``most`` of ``lanes`` (in their order) that no other transaction
    holds, until ``tx`` ends; the lanes held. PostgreSQL only."""
    if not lanes or most < 1:
        return []
    held = await tx.session.scalars(
        _TRY_HOLD_LANES, {"lanes": lanes, "space": LANE_LOCKS, "most": most}
    )
    return list(held)


async def unprocessed_entries(
    tx: Tx, channels: list[str], lanes: list[int] | None, limit: int
) -> list[JournalEntry]:
    """The first ``limit`` unprocessed entries of ``channels``, in arrival order: in
    ``lanes`` only, or in every lane (None: the one process on the database)."""
    params: dict[str, Any] = {"channels": channels, "limit": limit}
    statement = _UNPROCESSED
    if lanes is not None:
        statement, params["lanes"] = _UNPROCESSED_IN_LANES, lanes
    rows = (await tx.session.execute(statement, params)).all()
    return [JournalEntry(row.id, row.channel, row.payload, row.received_at) for row in rows]


async def mark_processed(
    tx: Tx, entry_ids: list[int], errors: dict[int, str], now: datetime
) -> None:
    """Mark the entries processed at ``now``; those in ``errors`` keep their error."""
    table = InboundJournalEntry
    if not entry_ids:
        return
    clean = [i for i in entry_ids if i not in errors]
    if clean:
        await tx.session.execute(_MARK_PROCESSED, {"entry_ids": clean, "now": now})
    for entry_id, error in errors.items():
        await tx.session.execute(
            update(table).where(table.id == entry_id).values(processed_at=now, error=error)
        )


async def prune_processed(tx: Tx, before: datetime) -> int:
    """Delete the entries processed before ``before`` (their delivery ids with them);
    how many."""
    result = await tx.session.execute(
        delete(InboundJournalEntry).where(InboundJournalEntry.processed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
