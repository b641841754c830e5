"""The leads the admin API lists, newest first, as plain :class:`LeadRecord` values."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.domain.lead_records import LeadRecord, lead_record
from bot.storage.models import Lead
from bot.storage.uow import Tx


async def recent_leads(tx: Tx, *, limit: int, stage: str | None = None) -> list[LeadRecord]:
    """The newest leads (at most ``limit``), only those in ``stage`` when given."""
    query = select(Lead).order_by(Lead.id.desc()).limit(limit)
    if stage is not None:
        query = query.where(Lead.stage == stage)
    return [lead_record(row) for row in await tx.session.scalars(query)]
