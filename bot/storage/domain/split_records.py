"""The SQL of A/B test results: which branch each run of a split took, and the events on
those conversations that may be goals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.models import Event, RunLog, Workflow, WorkflowRun
from bot.storage.uow import Tx

CHUNK = 500
"""Ids per ``IN`` list."""


@dataclass(frozen=True)
class SplitChoice:
    """A run that passed a split step: the branch it took and when."""

    run_id: int
    conversation_id: int | None
    step_id: str
    branch: str
    goal: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True)
class GoalEvent:
    conversation_id: int
    type: str
    data: dict[str, Any]
    at: datetime


async def split_choices(
    tx: Tx, workflow: str, since: datetime, until: datetime
) -> list[SplitChoice]:
    """Every branch taken at a split of ``workflow`` in ``[since, until]``, oldest first."""
    rows = await tx.session.execute(
        select(
            RunLog.run_id,
            WorkflowRun.conversation_id,
            RunLog.step_id,
            RunLog.data,
            RunLog.created_at,
        )
        .join(WorkflowRun, WorkflowRun.id == RunLog.run_id)
        .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
        .where(
            Workflow.name == workflow,
            RunLog.kind == "step",
            RunLog.message.like("split: %"),
            RunLog.created_at >= since,
            RunLog.created_at <= until,
        )
        .order_by(RunLog.id)
    )
    choices = []
    for run_id, conversation_id, step_id, data, at in rows:
        branch = (data or {}).get("branch")
        if run_id is None or step_id is None or not isinstance(branch, str):
            continue
        goal = (data or {}).get("goal")
        choices.append(
            SplitChoice(
                run_id,
                conversation_id,
                step_id,
                branch,
                goal if isinstance(goal, dict) else None,
                at,
            )
        )
    return choices


async def events_of(
    tx: Tx, conversation_ids: Sequence[int], types: Sequence[str], since: datetime
) -> list[GoalEvent]:
    """Events of these types on these conversations from ``since`` on."""
    found: list[GoalEvent] = []
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), CHUNK):
        rows = await tx.session.execute(
            select(Event.conversation_id, Event.type, Event.data, Event.occurred_at).where(
                Event.conversation_id.in_(ids[start : start + CHUNK]),
                Event.type.in_(list(types)),
                Event.occurred_at >= since,
            )
        )
        found.extend(
            GoalEvent(conversation_id, type_, dict(data or {}), at)
            for conversation_id, type_, data, at in rows
            if conversation_id is not None
        )
    return found
