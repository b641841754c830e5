"""Leads and their pipeline of stages."""

from __future__ import annotations

from decimal import Decimal

from bot.core.errors import NotFoundError, UnknownStageError, ValidationFailed
from bot.storage.domain.lead_records import LeadRecord, NewLead
from bot.storage.domain.records import Records
from bot.storage.domain.sql_records import records_of
from bot.storage.uow import Tx
from workflows.event_names import EventType

CENTS = Decimal("0.01")


class Pipeline:
    """The configured, ordered stages a lead moves through."""

    def __init__(self, stages: list[str]) -> None:
        if not stages:
            raise ValidationFailed("RELAYBOT_LEAD_STAGES", "needs at least one stage")
        self.stages = stages

    def check(self, stage: str) -> str:
        if stage not in self.stages:
            raise UnknownStageError(
                "stage", f"unknown stage {stage!r}; stages are {', '.join(self.stages)}"
            )
        return stage


async def create_lead(
    source: Tx | Records,
    pipeline: Pipeline,
    *,
    name: str,
    stage: str | None = None,
    contact_id: int | None = None,
    conversation_id: int | None = None,
    expected_amount: Decimal | None = None,
    currency: str = "USD",
    owner_id: int | None = None,
) -> LeadRecord:
    """Create a lead (first stage by default). Records lead.created."""
    records = records_of(source)
    lead = await records.add_lead(
        NewLead(
            name=name,
            stage=pipeline.check(stage or pipeline.stages[0]),
            contact_id=contact_id,
            conversation_id=conversation_id,
            expected_amount=(
                expected_amount.quantize(CENTS) if expected_amount is not None else None
            ),
            currency=currency.upper(),
            owner_id=owner_id,
        ),
        records.now,
    )
    records.record_event(
        EventType.LEAD_CREATED,
        conversation_id=conversation_id,
        contact_id=contact_id,
        lead_id=lead.id,
        data={"stage": lead.stage, "to_stage": lead.stage},
    )
    return lead


async def change_stage(
    source: Tx | Records, pipeline: Pipeline, lead_id: int, stage: str, *, by: str = "system"
) -> bool:
    """Move a lead to ``stage``; False when it was there. Records lead.stage_changed."""
    records = records_of(source)
    lead = await records.lead(lead_id, lock=True)
    if lead is None:
        raise NotFoundError(f"lead {lead_id} not found")
    pipeline.check(stage)
    if lead.stage == stage:
        return False
    await records.set_lead_stage(lead_id, stage, records.now)
    records.record_event(
        EventType.LEAD_STAGE_CHANGED,
        conversation_id=lead.conversation_id,
        contact_id=lead.contact_id,
        lead_id=lead.id,
        data={"from_stage": lead.stage, "to_stage": stage, "by": by},
    )
    return True
