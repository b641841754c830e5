"""What approval holds read of storage: the run a decision is for, decisions not yet taken
in, and whether a decision's update was queued."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.storage.models import Event, OutboxItem, WorkflowRun
from bot.storage.pipeline.run_records import RunRecord
from bot.storage.uow import Tx


async def approval_run(tx: Tx, run_id: int, *, lock: bool = False) -> RunRecord | None:
    """The run ``run_id`` (locked for update when ``lock``), None when there is none."""
    if lock:
        row = await tx.session.get(WorkflowRun, run_id, with_for_update=True)
    else:
        row = await tx.session.get(WorkflowRun, run_id)
    return None if row is None else RunRecord.of(row)


async def undelivered_decision(
    tx: Tx, event_type: str, run_id: int, conversation_id: int | None, key: str
) -> dict[str, Any] | None:
    """The data of a decision (an ``event_type`` event) on the run's hold ``key`` that is
    not delivered yet: one the runner has not taken in."""
    same_conversation = (
        Event.conversation_id.is_(None)
        if conversation_id is None
        else Event.conversation_id == conversation_id
    )
    events = await tx.session.scalars(
        select(Event)
        .where(Event.type == event_type, Event.delivered_at.is_(None), same_conversation)
        .order_by(Event.id)
    )
    for event in events:
        if event.data.get("run_id") == run_id and event.data.get("key") == key:
            return dict(event.data)
    return None


async def outbox_key_taken(tx: Tx, key: str) -> bool:
    """Whether an outbound item with this idempotency key is stored."""
    return bool(
        await tx.session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key))
    )
