"""The inbound journal's table: payloads appended in groups, read in arrival order,
marked processed (or set aside with their error), and pruned.

On a SQLite file a group is appended by one plain ``sqlite3`` statement, a transaction
of its own, whose payloads are the bodies as they arrived (no encoding again); elsewhere
by one Core INSERT in a session. On PostgreSQL one process at a time processes the
journal: :func:`try_hold_journal` takes a transaction-level advisory lock.
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

PROCESS_LOCK = 0x72656C6179  # one journal processor at a time on PostgreSQL


@dataclass(frozen=True)
class JournalPayload:
    """A raw payload to append under its platform's delivery id."""

    channel: str
    external_id: str
    payload: dict[str, Any]
    body: str | None
    """The payload's JSON text as it arrived (None: encoded from ``payload``)."""

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
_STILL_UNPROCESSED = select(_TABLE.c.id).where(
    _TABLE.c.id.in_(_ENTRY_IDS), _TABLE.c.processed_at.is_(None)
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
        params.extend((entry.channel, entry.external_id, body, received_at))
    rows = ", ".join(["(?, ?, ?, ?)"] * len(entries))
    statement = (
        f"INSERT INTO inbound_journal (channel, external_id, payload, received_at) VALUES {rows} "
        "ON CONFLICT (channel, external_id) DO NOTHING RETURNING channel, external_id"
    )
    return {
        (channel, external_id) for channel, external_id in connection.execute(statement, params)
    }


async def unprocessed_entries(db: Database, channels: list[str], limit: int) -> list[JournalEntry]:
    """The first ``limit`` unprocessed entries of ``channels``, in arrival order (read
    outside any write transaction)."""
    async with db.read() as session:
        rows = (await session.execute(_UNPROCESSED, {"channels": channels, "limit": limit})).all()
    return [JournalEntry(row.id, row.channel, row.payload, row.received_at) for row in rows]


async def try_hold_journal(tx: Tx) -> bool:
    """Hold the journal until ``tx`` ends, unless another process holds it (PostgreSQL;
    elsewhere there is no other process to keep out)."""
    if tx.session.get_bind().dialect.name != "postgresql":
        return True
    locked = await tx.session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PROCESS_LOCK}
    )
    return bool(locked)


async def still_unprocessed(tx: Tx, entry_ids: list[int]) -> set[int]:
    """Which of these entries no one has processed yet."""
    return set(await tx.session.scalars(_STILL_UNPROCESSED, {"entry_ids": entry_ids}))


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
