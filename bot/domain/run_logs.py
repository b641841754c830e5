"""Reading workflow logs back: recent runs with their trigger, conditions, steps and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.errors import NotFoundError, ValidationFailed
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
    id: int = 0
    workflow: str | None = None
    """The workflow a skipped start was of."""


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
    version: int = 0
    cursor: str | None = None
    """The step the run is at (None once it ended)."""

    @property
    def shown_status(self) -> str:
        """The status as the console filters it (:data:`SHOWN_STATUSES`)."""
        return shown_status(self.status)


SHOWN_STATUSES: dict[str, tuple[str, ...]] = {
    "running": ("running", "calling"),
    "waiting": ("waiting",),
    "finished": ("completed", "cancelled"),
    "failed": ("failed",),
}
"""The console's four statuses and the stored ones each stands for: a run that makes an
action call (``calling``) is running; one a person stopped (``cancelled``) is finished."""


def shown_status(stored: str) -> str:
    for shown, stored_ones in SHOWN_STATUSES.items():
        if stored in stored_ones:
            return shown
    return stored


@dataclass(frozen=True)
class RunFilter:
    """Which runs a list shows: of a workflow, with a shown status, of a conversation,
    started in ``[since, until)``; ``before_id`` pages back."""

    workflow: str | None = None
    status: str | None = None
    conversation_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


@dataclass(frozen=True)
class RunPage:
    runs: list[RunView]
    next_before: int | None
    """The ``before_id`` of the next (older) page; None on the last one."""


async def runs_page(uow: UnitOfWork, where: RunFilter, limit: int) -> RunPage:
    """A page of runs, newest first, without their log lines."""
    if where.status is not None and where.status not in SHOWN_STATUSES:
        raise ValidationFailed("status", f"must be one of {', '.join(SHOWN_STATUSES)}")
    async with uow() as tx:
        runs = await load_runs(
            tx,
            workflow=where.workflow,
            statuses=SHOWN_STATUSES[where.status] if where.status else (),
            conversation_id=where.conversation_id,
            since=where.since,
            until=where.until,
            before_id=where.before_id,
            limit=limit + 1,
            with_lines=False,
        )
    more = len(runs) > limit
    runs = runs[:limit]
    return RunPage(runs, runs[-1].id if more and runs else None)


@dataclass(frozen=True)
class RunDetail:
    """One run with its whole log, and the event that started it."""

    run: RunView
    trigger_event: str
    """The event's type ("trigger_workflow" when another run started it)."""
    trigger_data: dict[str, Any]
    timings: dict[int, Timing]
    skipped: list[LogLine]
    """The other workflows the same event did not start, and why."""


async def run_detail(uow: UnitOfWork, run_id: int) -> RunDetail:
    """Run ``run_id`` with every log line; NotFoundError when there is none."""
    async with uow() as tx:
        found = await load_runs(tx, run_id=run_id, limit=1)
        if not found:
            raise NotFoundError(f"no run {run_id}")
        run = found[0]
        trigger = next((line for line in run.lines if line.kind == "trigger"), None)
        event_type, skips = "trigger_workflow", []
        if run.trigger_event_id is not None:
            types = await run_log_records.event_types(tx, [run.trigger_event_id])
            event_type = types.get(run.trigger_event_id, event_type)
            if trigger is not None:
                skips = await run_log_records.skips_of_event(
                    tx, event_type, run.trigger_event_id, trigger.id
                )
    event = trigger.data.get("event") if trigger is not None else None
    return RunDetail(
        run,
        event_type,
        dict(event) if isinstance(event, dict) else {},
        step_timings(run),
        [_line(skip, None) for skip in skips],
    )


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
    statuses: tuple[str, ...] = (),
    conversation_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    with_lines: bool = True,
) -> list[RunView]:
    """:func:`recent_runs` inside the caller's transaction; also of these stored
    ``statuses``, of a conversation, started in ``[since, until)``, older than
    ``before_id``, and (``with_lines=False``) without their log lines."""
    if workflow is not None and not await run_log_records.workflow_exists(tx, workflow):
        raise NotFoundError(f"no workflow named {workflow!r}")
    runs = await run_log_records.newest_runs(
        tx,
        workflow=workflow,
        failed_only=failed_only,
        run_id=run_id,
        limit=limit,
        statuses=statuses,
        conversation_id=conversation_id,
        since=since,
        until=until,
        before_id=before_id,
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
            version=r.version,
            cursor=r.cursor,
        )
        for r in runs
    ]
    if views and with_lines:
        by_run = {v.id: v for v in views}
        for log in await run_log_records.log_lines_of_runs(tx, [v.id for v in views]):
            assert log.run_id is not None
            by_run[log.run_id].lines.append(_line(log, log.duration_ms))
    return views


def _line(log: RunLogRecord, duration_ms: float | None) -> LogLine:
    return LogLine(
        log.kind,
        log.step_id,
        log.message,
        log.data,
        duration_ms,
        log.created_at,
        log.id,
        log.workflow,
    )


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


@dataclass(frozen=True)
class Timing:
    """How long a visit of a step took (``seconds``), or since when it waits."""

    seconds: float | None = None
    waiting_since: datetime | None = None

    def text(self) -> str:
        if self.seconds is not None:
            return f"took {span(self.seconds)}"
        if self.waiting_since is not None:
            return f"waiting since {self.waiting_since:%Y-%m-%d %H:%M:%S}"
        return ""


def step_timings(view: RunView) -> dict[int, Timing]:
    """For the first line of each visit of a step (by index): how long the step took
    (until the next step began or the run ended), or since when it still waits."""
    starts = [
        i
        for i, line in enumerate(view.lines)
        if line.kind == "step" and (i == 0 or _previous_step(view.lines, i) != line.step_id)
    ]
    took: dict[int, Timing] = {}
    for number, index in enumerate(starts):
        line = view.lines[index]
        if line.duration_ms is not None:
            took[index] = Timing(line.duration_ms / 1000)
        elif number + 1 < len(starts):
            took[index] = Timing((view.lines[starts[number + 1]].at - line.at).total_seconds())
        elif view.finished_at is not None:
            took[index] = Timing((view.finished_at - line.at).total_seconds())
        elif view.status == "waiting":
            took[index] = Timing(waiting_since=line.at)
    return took


def _step_durations(view: RunView) -> dict[int, str]:
    return {index: f" ({timing.text()})" for index, timing in step_timings(view).items()}


def _previous_step(lines: list[LogLine], index: int) -> str | None:
    for line in reversed(lines[:index]):
        if line.kind == "step":
            return line.step_id
    return None


def span(seconds: float) -> str:
    """A duration as people read it: 250 ms, 2 h 5 min."""
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
