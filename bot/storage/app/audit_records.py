"""The audit log: append a line, read lines back filtered and paged, count recent
sign-in failures (what the sign-in rate limit decides on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import AuditEntry
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: datetime
    actor: str
    actor_kind: str
    source: str
    action: str
    target: str | None
    details: dict[str, Any]
    client_address: str | None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which lines to read; every field that is set must match."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    """Lines older than this id (the next page)."""


def _line(row: AuditEntry) -> AuditLine:
    return AuditLine(
        id=row.id,
        at=row.at,
        actor=row.actor,
        actor_kind=row.actor_kind,
        source=row.source,
        action=row.action,
        target=row.target,
        details=dict(row.details or {}),
        client_address=row.client_address,
    )


async def append(
    tx: Tx,
    *,
    actor: str,
    actor_kind: str,
    source: str,
    action: str,
    target: str | None,
    details: dict[str, Any],
    client_address: str | None,
) -> None:
    """Add a line at the transaction's time; it is stored when the transaction commits."""
    tx.session.add(
        AuditEntry(
            at=tx.now,
            actor=actor[:320],
            actor_kind=actor_kind,
            source=source,
            action=action,
            target=None if target is None else target[:320],
            details=details,
            client_address=None if client_address is None else client_address[:64],
        )
    )


async def lines(tx: Tx, where: AuditFilter, limit: int) -> list[AuditLine]:
    """The newest lines matching ``where``, newest first, at most ``limit``."""
    query = select(AuditEntry)
    if where.actor is not None:
        query = query.where(AuditEntry.actor == where.actor)
    if where.action is not None:
        query = query.where(AuditEntry.action == where.action)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    if where.before_id is not None:
        query = query.where(AuditEntry.id < where.before_id)
    rows = await tx.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return [_line(r) for r in rows]


async def recent_times(
    tx: Tx,
    action: str,
    since: datetime,
    *,
    target: str | None = None,
    client_address: str | None = None,
) -> list[datetime]:
    """When ``action`` was recorded after ``since`` for this target or address, oldest first."""
    query = select(AuditEntry.at).where(AuditEntry.action == action, AuditEntry.at > since)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    if client_address is not None:
        query = query.where(AuditEntry.client_address == client_address)
    return list(await tx.session.scalars(query.order_by(AuditEntry.at)))


async def latest_time(tx: Tx, action: str, target: str) -> datetime | None:
    """When ``action`` was last recorded for ``target``."""
    return await tx.session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.action == action, AuditEntry.target == target
        )
    )
