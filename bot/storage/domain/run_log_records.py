"""Workflow runs and their log lines, read back as plain values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import Event, RunLog, Workflow, WorkflowRun, WorkflowVersion
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
    version: int = 0
    cursor: str | None = None
    """The step the run is at (None once it ended)."""


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
    id: int = 0
    workflow: str | None = None
    """The workflow's name, where a reader asked for it (skipped starts)."""


def _log_record(log: RunLog) -> RunLogRecord:
    return RunLogRecord(
        log.run_id,
        log.kind,
        log.step_id,
        log.message,
        dict(log.data or {}),
        float(log.duration_ms) if log.duration_ms is not None else None,
        log.created_at,
        log.id,
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
    statuses: tuple[str, ...] = (),
    conversation_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
) -> list[RunRecord]:
    """The newest runs first: of one workflow, failed ones (or of these stored
    ``statuses``), one run, one conversation's, started in ``[since, until)``, with an id
    below ``before_id`` (the next page)."""
    cursor = WorkflowRun.state[("engine", "cursor")].as_string()
    query = (
        select(
            WorkflowRun.id,
            Workflow.name,
            WorkflowRun.status,
            WorkflowRun.started_at,
            WorkflowRun.finished_at,
            WorkflowRun.conversation_id,
            WorkflowRun.error,
            WorkflowRun.trigger_event_id,
            WorkflowVersion.version,
            cursor,
        )
        .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
        .join(WorkflowVersion, WorkflowVersion.id == WorkflowRun.version_id)
        .order_by(WorkflowRun.id.desc())
        .limit(limit)
    )
    if workflow is not None:
        query = query.where(Workflow.name == workflow)
    if failed_only:
        statuses = ("failed",)
    if statuses:
        query = query.where(WorkflowRun.status.in_(statuses))
    if run_id is not None:
        query = query.where(WorkflowRun.id == run_id)
    if conversation_id is not None:
        query = query.where(WorkflowRun.conversation_id == conversation_id)
    if since is not None:
        query = query.where(WorkflowRun.started_at >= since)
    if until is not None:
        query = query.where(WorkflowRun.started_at < until)
    if before_id is not None:
        query = query.where(WorkflowRun.id < before_id)
    return [RunRecord(*row) for row in (await tx.session.execute(query)).all()]


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


SKIP_WINDOW = 2000
"""How many log lines before a run's trigger line are searched for the starts its event
skipped: they are written in the same transaction, before the batch's trigger lines."""


async def skips_of_event(
    tx: Tx, event_type: str, event_id: int, before_log_id: int
) -> list[RunLogRecord]:
    """The starts event ``event_id`` skipped (other workflows, and why), by the lines just
    before ``before_log_id`` (one primary-key range, no scan)."""
    rows = await tx.session.execute(
        select(RunLog, Workflow.name)
        .join(Workflow, Workflow.id == RunLog.workflow_id)
        .where(
            RunLog.id < before_log_id,
            RunLog.id >= before_log_id - SKIP_WINDOW,
            RunLog.kind == "skip",
            RunLog.message.startswith(
                f"not started on {event_type} #{event_id}: ", autoescape=True
            ),
        )
        .order_by(RunLog.id)
    )
    return [replace(_log_record(log), workflow=name) for log, name in rows.all()]
