"""Workflow runs and their log rows, read back as :class:`~integrations.slack.ports.RunLogView`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import select

from bot.errors import NotFoundError
from bot.models import Event, RunLog, Workflow, WorkflowRun
from bot.uow import Tx
from integrations.slack.ports import ConditionCheck, RunLogView, RunStatus, StepLog

STATUSES = ("running", "waiting", "completed", "failed", "cancelled")


def checks_of(data: dict[str, Any]) -> list[ConditionCheck]:
    return [
        ConditionCheck(
            field=str(c.get("field", "")),
            op=str(c.get("op", "")),
            expected=c.get("expected"),
            actual=c.get("actual"),
            result=bool(c.get("result")),
        )
        for c in data.get("checks") or []
        if isinstance(c, dict)
    ]


def _steps(logs: list[RunLog]) -> tuple[list[StepLog], list[str]]:
    steps: list[StepLog] = []
    errors: list[str] = []
    durations: dict[str | None, float] = {}
    for log in logs:
        if log.kind == "call" and log.duration_ms is not None:
            durations[log.step_id] = durations.get(log.step_id, 0.0) + float(log.duration_ms)
        elif log.kind == "error":
            errors.append(f"{log.step_id}: {log.message}" if log.step_id else log.message)
    for log in logs:
        if log.kind != "step":
            continue
        step_type, _, detail = log.message.partition(":")
        data = log.data or {}
        failed = data.get("exit") in ("failure", "delivery_failed")
        if steps and steps[-1].id == log.step_id and steps[-1].exit is None:
            steps.pop()  # the step made a call: its second row carries the outcome
        steps.append(
            StepLog(
                id=log.step_id or "?",
                type=step_type.strip() or "step",
                exit=str(data["exit"]) if data.get("exit") else None,
                duration_ms=durations.get(log.step_id),
                error=detail.strip() if failed and detail.strip() else None,
            )
        )
    return steps, errors


async def load_run_logs(
    tx: Tx, workflow: str | None, *, failed_only: bool = False, limit: int = 5
) -> list[RunLogView]:
    """The newest runs (of ``workflow``), each with its trigger, conditions, steps and errors."""
    query = select(WorkflowRun, Workflow.name).join(Workflow, Workflow.id == WorkflowRun.workflow_id)
    if workflow:
        if await tx.session.scalar(select(Workflow.id).where(Workflow.name == workflow)) is None:
            raise NotFoundError(f"no workflow named {workflow!r}")
        query = query.where(Workflow.name == workflow)
    if failed_only:
        query = query.where(WorkflowRun.status == "failed")
    rows = (await tx.session.execute(query.order_by(WorkflowRun.id.desc()).limit(limit))).all()
    run_ids = [run.id for run, _ in rows]
    logs: dict[int, list[RunLog]] = defaultdict(list)
    if run_ids:
        for log in await tx.session.scalars(
            select(RunLog).where(RunLog.run_id.in_(run_ids)).order_by(RunLog.id)
        ):
            assert log.run_id is not None
            logs[log.run_id].append(log)
    event_ids = [run.trigger_event_id for run, _ in rows if run.trigger_event_id is not None]
    event_types = dict(
        (await tx.session.execute(select(Event.id, Event.type).where(Event.id.in_(event_ids)))).all()
    ) if event_ids else {}
    views: list[RunLogView] = []
    for run, name in rows:
        run_logs = logs[run.id]
        steps, errors = _steps(run_logs)
        if run.error and run.error not in errors:
            errors.append(run.error)
        conditions = [c for log in run_logs if log.kind == "condition" for c in checks_of(log.data or {})]
        status = run.status if run.status in STATUSES else "failed"
        views.append(
            RunLogView(
                run_id=str(run.id),
                workflow=name,
                status=cast(RunStatus, status),
                trigger_event=event_types.get(run.trigger_event_id, "trigger_workflow")
                if run.trigger_event_id is not None
                else "trigger_workflow",
                conversation_id=str(run.conversation_id) if run.conversation_id else None,
                started_at=run.started_at.strftime("%Y-%m-%d %H:%M UTC"),
                conditions=tuple(conditions),
                steps=tuple(steps),
                errors=tuple(errors),
            )
        )
    return views
