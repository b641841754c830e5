"""Reading workflow logs back: recent runs with their trigger, conditions, steps and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.errors import NotFoundError
from bot.storage.domain import run_log_records
from bot.storage.domain.run_log_records import RunLogRecord
from bot.storage.uow import Tx, UnitOfWork


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
    uow: UnitOfWork,
    *,
    workflow: str | None = None,
    failed_only: bool = False,
    run_id: int | None = None,
    limit: int = 10,
) -> list[RunView]:
    """The newest runs (of one workflow, or failed ones), each with its log lines."""
    async with uow() as tx:
        return await load_runs(
            tx, workflow=workflow, failed_only=failed_only, run_id=run_id, limit=limit
        )


async def load_runs(
    tx: Tx,
    *,
    workflow: str | None = None,
    failed_only: bool = False,
    run_id: int | None = None,
    limit: int = 10,
) -> list[RunView]:
    """:func:`recent_runs` inside the caller's transaction."""
    if workflow is not None and not await run_log_records.workflow_exists(tx, workflow):
        raise NotFoundError(f"no workflow named {workflow!r}")
    runs = await run_log_records.newest_runs(
        tx, workflow=workflow, failed_only=failed_only, run_id=run_id, limit=limit
    )
    views = [
        RunView(
            r.id,
            r.workflow,
            r.status,
            r.started_at,
            r.finished_at,
            r.conversation_id,
            r.error,
            r.trigger_event_id,
        )
        for r in runs
    ]
    if views:
        by_run = {v.id: v for v in views}
        for log in await run_log_records.log_lines_of_runs(tx, [v.id for v in views]):
            assert log.run_id is not None
            by_run[log.run_id].lines.append(_line(log, log.duration_ms))
    return views


def _line(log: RunLogRecord, duration_ms: float | None) -> LogLine:
    return LogLine(log.kind, log.step_id, log.message, log.data, duration_ms, log.created_at)


async def skipped(uow: UnitOfWork, workflow: str, limit: int = 10) -> list[LogLine]:
    """Why a workflow did not start, newest first."""
    async with uow() as tx:
        return [_line(r, None) for r in await run_log_records.newest_skips(tx, workflow, limit)]


async def run_count(uow: UnitOfWork, workflow: str | None = None) -> int:
    """How many runs there are (of one workflow, or of all)."""
    async with uow() as tx:
        return await run_log_records.count_runs(tx, workflow)


def render_text(view: RunView) -> str:
    """A run as plain text (for the terminal): each step with how long it took, until when
    it waits, the template variables that had no value, and the checks made."""
    head = f"run {view.id}  {view.workflow}  {view.status}  started {view.started_at:%Y-%m-%d %H:%M:%S}"
    if view.conversation_id:
        head += f"  conversation {view.conversation_id}"
    out = [head]
    took = _step_durations(view)
    for index, line in enumerate(view.lines):
        where = f"[{line.step_id}] " if line.step_id else ""
        message = line.message
        if line.data.get("missing"):
            message += ": " + ", ".join(str(name) for name in line.data["missing"])
        if line.data.get("until"):
            message += f"  until {_when(line.data['until'])}"
        out.append(f"  {line.kind:<9} {where}{message}{took.get(index, '')}")
        out.extend(_checks(line))
    if view.error:
        out.append(f"  error     {view.error}")
    return "\n".join(out)


def render_skip(line: LogLine) -> str:
    """A start that did not happen, with the values it was decided on."""
    out = [f"skipped  {line.at:%Y-%m-%d %H:%M:%S}  {line.message}"]
    event = line.data.get("event")
    if isinstance(event, dict):
        values = ", ".join(
            f"{key}={value!r}" for key, value in event.items() if value not in (None, "", [], {})
        )
        if values:
            out.append(f"            event: {_shorten(values)}")
    out.extend(_checks(line))
    return "\n".join(out)


def _checks(line: LogLine) -> list[str]:
    out = []
    for check in line.data.get("checks", []):
        mark = "ok " if check.get("result") else "NO "
        out.append(
            f"            {mark}{check.get('field')} {check.get('op')} {check.get('expected')!r}"
            f" (was {check.get('actual')!r})"
        )
    return out


def _step_durations(view: RunView) -> dict[int, str]:
    """For the first line of each visit of a step: how long the step took (until the next
    step began or the run ended), or that it still waits."""
    starts = [
        i
        for i, line in enumerate(view.lines)
        if line.kind == "step" and (i == 0 or _previous_step(view.lines, i) != line.step_id)
    ]
    took: dict[int, str] = {}
    for number, index in enumerate(starts):
        line = view.lines[index]
        if line.duration_ms is not None:
            took[index] = f" (took {_span(line.duration_ms / 1000)})"
        elif number + 1 < len(starts):
            took[index] = (
                f" (took {_span((view.lines[starts[number + 1]].at - line.at).total_seconds())})"
            )
        elif view.finished_at is not None:
            took[index] = f" (took {_span((view.finished_at - line.at).total_seconds())})"
        elif view.status == "waiting":
            took[index] = f" (waiting since {line.at:%Y-%m-%d %H:%M:%S})"
    return took


def _previous_step(lines: list[LogLine], index: int) -> str | None:
    for line in reversed(lines[:index]):
        if line.kind == "step":
            return line.step_id
    return None


def _span(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes else "",
        f"{secs} s" if secs else "",
    ]
    return " ".join(part for part in parts if part)


def _when(value: object) -> str:
    try:
        return f"{datetime.fromisoformat(str(value)):%Y-%m-%d %H:%M:%S %Z}".strip()
    except ValueError:
        return str(value)


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
