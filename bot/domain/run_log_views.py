"""Workflow runs and their log rows, read back as :class:`~bot.core.console_views.RunLogView`."""

from __future__ import annotations

from typing import Any, cast

from bot.core.console_views import ConditionCheck, RunLogView, RunStatus, StepLog
from bot.domain.run_logs import LogLine, load_runs
from bot.storage.domain import run_log_records
from bot.storage.uow import Tx

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


def _steps(logs: list[LogLine]) -> tuple[list[StepLog], list[str]]:
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
    runs = await load_runs(tx, workflow=workflow or None, failed_only=failed_only, limit=limit)
    event_ids = [run.trigger_event_id for run in runs if run.trigger_event_id is not None]
    event_types = await run_log_records.event_types(tx, event_ids) if event_ids else {}
    views: list[RunLogView] = []
    for run in runs:
        run_logs = run.lines
        steps, errors = _steps(run_logs)
        if run.error and run.error not in errors:
            errors.append(run.error)
        conditions = [
            c for log in run_logs if log.kind == "condition" for c in checks_of(log.data or {})
        ]
        status = run.status if run.status in STATUSES else "failed"
        views.append(
            RunLogView(
                run_id=str(run.id),
                workflow=run.workflow,
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
