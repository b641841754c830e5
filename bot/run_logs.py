"""Reading workflow logs back: recent runs with their trigger, conditions, steps and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.errors import NotFoundError
from bot.models import RunLog, Workflow, WorkflowRun
from bot.uow import Tx, UnitOfWork


@dataclass
class LogLine:
    kind: str
    step_id: str | None
    message: str
    data: dict[str, Any]
    duration_ms: float | None
    at: datetime


@dataclass
class RunView:
    id: int
    workflow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    conversation_id: int | None
    error: str | None
    trigger_event_id: int | None = None
    lines: list[LogLine] = field(default_factory=list)


async def recent_runs(
    uow: UnitOfWork, *, workflow: str | None = None, failed_only: bool = False,
    run_id: int | None = None, limit: int = 10,
) -> list[RunView]:
    """The newest runs (of one workflow, or failed ones), each with its log lines."""
    async with uow() as tx:
        return await load_runs(
            tx, workflow=workflow, failed_only=failed_only, run_id=run_id, limit=limit
        )


async def load_runs(
    tx: Tx, *, workflow: str | None = None, failed_only: bool = False,
    run_id: int | None = None, limit: int = 10,
) -> list[RunView]:
    """:func:`recent_runs` inside the caller's transaction."""
    query = (
        select(WorkflowRun, Workflow.name)
        .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
        .order_by(WorkflowRun.id.desc())
        .limit(limit)
    )
    if workflow is not None:
        if await tx.session.scalar(select(Workflow.id).where(Workflow.name == workflow)) is None:
            raise NotFoundError(f"no workflow named {workflow!r}")
        query = query.where(Workflow.name == workflow)
    if failed_only:
        query = query.where(WorkflowRun.status == "failed")
    if run_id is not None:
        query = query.where(WorkflowRun.id == run_id)
    rows = (await tx.session.execute(query)).all()
    views = [
        RunView(
            r.id, name, r.status, r.started_at, r.finished_at, r.conversation_id, r.error,
            r.trigger_event_id,
        )
        for r, name in rows
    ]
    if views:
        logs = await tx.session.scalars(
            select(RunLog).where(RunLog.run_id.in_([v.id for v in views])).order_by(RunLog.id)
        )
        by_run = {v.id: v for v in views}
        for log in logs:
            assert log.run_id is not None
            by_run[log.run_id].lines.append(
                LogLine(log.kind, log.step_id, log.message, dict(log.data or {}),
                        float(log.duration_ms) if log.duration_ms is not None else None, log.created_at)
            )
    return views


async def skipped(uow: UnitOfWork, workflow: str, limit: int = 10) -> list[LogLine]:
    """Why a workflow did not start, newest first."""
    async with uow() as tx:
        rows = await tx.session.scalars(
            select(RunLog)
            .join(Workflow, Workflow.id == RunLog.workflow_id)
            .where(Workflow.name == workflow, RunLog.kind == "skip")
            .order_by(RunLog.id.desc())
            .limit(limit)
        )
        return [
            LogLine(r.kind, r.step_id, r.message, dict(r.data or {}), None, r.created_at) for r in rows
        ]


def render_text(view: RunView) -> str:
    """A run as plain text (for the terminal)."""
    head = f"run {view.id}  {view.workflow}  {view.status}  started {view.started_at:%Y-%m-%d %H:%M:%S}"
    if view.conversation_id:
        head += f"  conversation {view.conversation_id}"
    out = [head]
    for line in view.lines:
        where = f"[{line.step_id}] " if line.step_id else ""
        took = f" ({line.duration_ms:.0f} ms)" if line.duration_ms is not None else ""
        out.append(f"  {line.kind:<9} {where}{line.message}{took}")
        for check in line.data.get("checks", []):
            mark = "ok " if check.get("result") else "NO "
            out.append(
                f"            {mark}{check.get('field')} {check.get('op')} {check.get('expected')!r}"
                f" (was {check.get('actual')!r})"
            )
    if view.error:
        out.append(f"  error     {view.error}")
    return "\n".join(out)
