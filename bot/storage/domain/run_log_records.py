"""Workflow runs and their log lines, read back as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import Event, RunLog, Workflow, WorkflowRun
from bot.storage.uow import Tx


@dataclass(frozen=True)
class RunRecord:
    """One run with the name of its workflow."""

    id: int
    workflow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    conversation_id: int | None
    error: str | None
    trigger_event_id: int | None


@dataclass(frozen=True)
class RunLogRecord:
    """One stored log line (of a run, or of a start that did not happen)."""

    run_id: int | None
    kind: str
    step_id: str | None
    message: str
    data: dict[str, Any]
    duration_ms: float | None
    created_at: datetime


def _log_record(log: RunLog) -> RunLogRecord:
    return RunLogRecord(
        log.run_id,
        log.kind,
        log.step_id,
        log.message,
        dict(log.data or {}),
        float(log.duration_ms) if log.duration_ms is not None else None,
        log.created_at,
    )


async def workflow_exists(tx: Tx, name: str) -> bool:
    """Whether a workflow of this name is stored."""
    return await tx.session.scalar(select(Workflow.id).where(Workflow.name == name)) is not None


async def newest_runs(
    tx: Tx,
    *,
    workflow: str | None = None,
    failed_only: bool = False,
    run_id: int | None = None,
    limit: int = 10,
) -> list[RunRecord]:
    """The newest runs first (of one workflow, failed ones, or one run)."""
    query = (
        select(WorkflowRun, Workflow.name)
        .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
        .order_by(WorkflowRun.id.desc())
        .limit(limit)
    )
    if workflow is not None:
        query = query.where(Workflow.name == workflow)
    if failed_only:
        query = query.where(WorkflowRun.status == "failed")
    if run_id is not None:
        query = query.where(WorkflowRun.id == run_id)
    rows = (await tx.session.execute(query)).all()
    return [
        RunRecord(
            r.id,
            name,
            r.status,
            r.started_at,
            r.finished_at,
            r.conversation_id,
            r.error,
            r.trigger_event_id,
        )
        for r, name in rows
    ]


async def log_lines_of_runs(tx: Tx, run_ids: list[int]) -> list[RunLogRecord]:
    """The log lines of these runs, oldest first (one query for all)."""
    logs = await tx.session.scalars(
        select(RunLog).where(RunLog.run_id.in_(run_ids)).order_by(RunLog.id)
    )
    return [_log_record(log) for log in logs]


async def newest_skips(tx: Tx, workflow: str, limit: int) -> list[RunLogRecord]:
    """The newest ``skip`` lines of a workflow (starts that did not happen), newest first."""
    rows = await tx.session.scalars(
        select(RunLog)
        .join(Workflow, Workflow.id == RunLog.workflow_id)
        .where(Workflow.name == workflow, RunLog.kind == "skip")
        .order_by(RunLog.id.desc())
        .limit(limit)
    )
    return [_log_record(r) for r in rows]


async def count_runs(tx: Tx, workflow: str | None = None) -> int:
    """How many runs there are (of one workflow, or of all)."""
    query = select(func.count()).select_from(WorkflowRun)
    if workflow is not None:
        query = query.join(Workflow, Workflow.id == WorkflowRun.workflow_id).where(
            Workflow.name == workflow
        )
    return int(await tx.session.scalar(query) or 0)


async def event_types(tx: Tx, event_ids: list[int]) -> dict[int, str]:
    """The type of each of these events, by id (one query)."""
    rows = (
        await tx.session.execute(select(Event.id, Event.type).where(Event.id.in_(event_ids)))
    ).all()
    return {event_id: event_type for event_id, event_type in rows}


async def workflow_of_run(tx: Tx, run_id: int) -> int | None:
    """The workflow id of a run (None when the run is gone), for a log line about it."""
    run = await tx.session.get(WorkflowRun, run_id)
    return None if run is None else run.workflow_id
