"""A workflow's funnel over a period, counted in SQL: which steps its runs reached, how each
visit of a step ended, and the runs' statuses (no run is loaded into Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, or_, select

from bot.storage.models import RunLog, Workflow, WorkflowRun, WorkflowVersion
from bot.storage.uow import Tx


@dataclass(frozen=True)
class CurrentVersion:
    """A workflow's id and its current version."""

    workflow_id: int
    version: int
    definition: dict[str, Any]


@dataclass(frozen=True)
class Leaving:
    """How many runs left ``step_id`` by ``exit`` for ``next_step`` (None: no step came
    after it; then ``status`` says whether the run ended there, failed or still stays)."""

    step_id: str
    exit: str | None
    next_step: str | None
    status: str
    runs: int


async def current_version(tx: Tx, name: str) -> CurrentVersion | None:
    """The workflow named ``name`` with its current version (None when there is none)."""
    row = (
        await tx.session.execute(
            select(Workflow.id, WorkflowVersion.version, WorkflowVersion.definition)
            .join(WorkflowVersion, WorkflowVersion.id == Workflow.current_version_id)
            .where(Workflow.name == name)
        )
    ).first()
    return None if row is None else CurrentVersion(row[0], row[1], dict(row[2]))


def _runs_in(
    workflow_id: int, since: datetime, until: datetime | None
) -> list[ColumnElement[bool]]:
    where = [WorkflowRun.workflow_id == workflow_id, WorkflowRun.started_at >= since]
    return where if until is None else [*where, WorkflowRun.started_at < until]


async def statuses(
    tx: Tx, workflow_id: int, since: datetime, until: datetime | None
) -> dict[str, int]:
    """How many runs started in ``[since, until)`` (no end: until now) have each stored status."""
    rows = await tx.session.execute(
        select(WorkflowRun.status, func.count())
        .where(*_runs_in(workflow_id, since, until))
        .group_by(WorkflowRun.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def reached(
    tx: Tx, workflow_id: int, since: datetime, until: datetime | None
) -> dict[str, int]:
    """How many runs started in ``[since, until)`` (no end: until now) reached each step (by step id)."""
    rows = await tx.session.execute(
        select(RunLog.step_id, func.count(distinct(RunLog.run_id)))
        .join(WorkflowRun, WorkflowRun.id == RunLog.run_id)
        .where(*_runs_in(workflow_id, since, until), RunLog.kind == "step")
        .group_by(RunLog.step_id)
    )
    return {str(step): int(count) for step, count in rows.all() if step is not None}


async def leavings(
    tx: Tx, workflow_id: int, since: datetime, until: datetime | None
) -> list[Leaving]:
    """How the visits of each step ended, for the runs started in ``[since, until)`` (no end: until now).

    A visit is a run's consecutive ``step`` lines of one step (a question asked again, a
    call and its outcome); its last line carries the exit, the next ``step`` line of the
    run names where it went. Runs are counted once per (step, exit, next step, status).
    """
    lines = (
        select(
            RunLog.run_id,
            RunLog.step_id,
            RunLog.data["exit"].as_string().label("exit"),
            func.lead(RunLog.step_id)
            .over(partition_by=RunLog.run_id, order_by=RunLog.id)
            .label("next_step"),
            WorkflowRun.status,
        )
        .join(WorkflowRun, WorkflowRun.id == RunLog.run_id)
        .where(*_runs_in(workflow_id, since, until), RunLog.kind == "step")
        .subquery()
    )
    query = (
        select(
            lines.c.step_id,
            lines.c.exit,
            lines.c.next_step,
            lines.c.status,
            func.count(distinct(lines.c.run_id)),
        )
        .where(or_(lines.c.next_step.is_(None), lines.c.next_step != lines.c.step_id))
        .group_by(lines.c.step_id, lines.c.exit, lines.c.next_step, lines.c.status)
    )
    return [
        Leaving(str(step), exit_, next_step, status, int(runs))
        for step, exit_, next_step, status, runs in (await tx.session.execute(query)).all()
        if step is not None
    ]
