"""Leads: stored, read and moved between stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.storage.models import Lead
from bot.storage.record_rows import keep
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class NewLead:
    """A lead to store (its values already checked)."""

    name: str
    stage: str
    contact_id: int | None
    conversation_id: int | None
    expected_amount: Decimal | None
    currency: str
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class LeadRecord:
    id: int
    name: str
    stage: str
    contact_id: int | None
    conversation_id: int | None
    expected_amount: Decimal | None
    currency: str
    owner_id: int | None
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


def lead_record(row: Lead) -> LeadRecord:
    return LeadRecord(
        id=row.id,
        name=row.name,
        stage=row.stage,
        contact_id=row.contact_id,
        conversation_id=row.conversation_id,
        expected_amount=row.expected_amount,
        currency=row.currency,
        owner_id=row.owner_id,
        tags=tuple(row.tags or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def add_lead(tx: Tx, new: NewLead, at: datetime) -> LeadRecord:
    """Store the lead, created ``at``; its id is known on return."""
    row = Lead(
        name=new.name,
        stage=new.stage,
        contact_id=new.contact_id,
        conversation_id=new.conversation_id,
        expected_amount=new.expected_amount,
        currency=new.currency,
        owner_id=new.owner_id,
        tags=[],
        attributes={},
        created_at=at,
        updated_at=at,
    )
    tx.session.add(row)
    await tx.session.flush()
    keep(tx, [row])
    return lead_record(row)


async def lead(tx: Tx, lead_id: int, *, lock: bool = False) -> LeadRecord | None:
    """The lead (locked for update on PostgreSQL when ``lock``)."""
    row = await tx.session.get(Lead, lead_id, with_for_update=lock or None)
    if row is None:
        return None
    keep(tx, [row])
    return lead_record(row)


async def set_lead_stage(tx: Tx, lead_id: int, stage: str, at: datetime) -> None:
    """Move the lead (read before in this transaction) to ``stage``, updated ``at``."""
    row = await tx.session.get(Lead, lead_id)
    assert row is not None, f"lead {lead_id} vanished"
    row.stage = stage
    row.updated_at = at
