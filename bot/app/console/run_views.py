"""The runs list and a run's page as HTML text (every outside value escaped)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from bot.app.console.views import layout
from bot.domain.console_sessions import Principal
from bot.domain.run_logs import (
    SHOWN_STATUSES,
    LogLine,
    RunDetail,
    RunFilter,
    RunPage,
    RunView,
    span,
)

KINDS = {
    "trigger": "Trigger",
    "condition": "Condition",
    "step": "Step",
    "call": "Call",
    "error": "Error",
    "info": "Note",
}


def when(at: datetime | None) -> str:
    if at is None:
        return ""
    return f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M:%S}</time>'


def _local(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%dT%H:%M") if at else ""


def status_badge(run: RunView) -> str:
    shown = run.shown_status
    extra = f" ({run.status})" if run.status != shown and run.status != "completed" else ""
    return f'<span class="run-status run-{escape(shown)}">{escape(shown)}{escape(extra)}</span>'


def conversation_link(conversation_id: int | None) -> str:
    if conversation_id is None:
        return '<span class="muted">none</span>'
    return f'<a href="/console/inbox/{conversation_id}">#{conversation_id}</a>'


def _filter_form(where: RunFilter, workflows: Sequence[str]) -> str:
    def option(value: str, label: str, chosen: str | None) -> str:
        picked = " selected" if value == (chosen or "") else ""
        return f'<option value="{escape(value)}"{picked}>{escape(label)}</option>'

    names = option("", "Any workflow", where.workflow) + "".join(
        option(name, name, where.workflow) for name in workflows
    )
    statuses = option("", "Any status", where.status) + "".join(
        option(name, name, where.status) for name in SHOWN_STATUSES
    )
    conversation = str(where.conversation_id) if where.conversation_id is not None else ""
    return (
        '<form method="get" action="/console/runs" class="filters" role="search" '
        'aria-label="Filter the runs">'
        '<div class="field"><label for="workflow">Workflow</label>'
        f'<select id="workflow" name="workflow">{names}</select></div>'
        '<div class="field"><label for="status">Status</label>'
        f'<select id="status" name="status">{statuses}</select></div>'
        '<div class="field"><label for="conversation">Conversation</label>'
        f'<input id="conversation" name="conversation" inputmode="numeric" '
        f'pattern="[0-9]*" value="{escape(conversation)}" placeholder="id"></div>'
        '<div class="field"><label for="since">Started since (UTC)</label>'
        f'<input id="since" name="since" type="datetime-local" value="{_local(where.since)}">'
        "</div>"
        '<div class="field"><label for="until">Started before (UTC)</label>'
        f'<input id="until" name="until" type="datetime-local" value="{_local(where.until)}">'
        "</div>"
        '<div class="field"><button type="submit">Filter</button></div></form>'
    )


def _ended(run: RunView) -> str:
    if run.finished_at is None:
        return '<span class="muted">not yet</span>'
    took = span((run.finished_at - run.started_at).total_seconds()) or "0 s"
    return f'{when(run.finished_at)}<br><span class="muted">{escape(took)}</span>'


def _where_now(run: RunView) -> str:
    if run.error:
        first = run.error.splitlines()[0] if run.error.strip() else run.error
        short = first if len(first) <= 120 else first[:119] + "…"
        return f'<span class="run-error-text">{escape(short)}</span>'
    if run.cursor:
        return f"at <code>{escape(run.cursor)}</code>"
    return ""


def _row(run: RunView) -> str:
    return (
        "<tr>"
        f'<td data-label="Run" class="run-id"><a href="/console/runs/{run.id}">Run {run.id}</a></td>'
        f'<td data-label="Workflow">{escape(run.workflow)} '
        f'<span class="muted">v{run.version}</span></td>'
        f'<td data-label="Status">{status_badge(run)}</td>'
        f'<td data-label="Conversation">{conversation_link(run.conversation_id)}</td>'
        f'<td data-label="Started">{when(run.started_at)}</td>'
        f'<td data-label="Finished">{_ended(run)}</td>'
        f'<td data-label="Step or error">{_where_now(run)}</td>'
        "</tr>"
    )


def filter_query(where: RunFilter, **more: str) -> str:
    pairs = (
        ("workflow", where.workflow),
        ("status", where.status),
        ("conversation", str(where.conversation_id) if where.conversation_id else None),
        ("since", _local(where.since) or None),
        ("until", _local(where.until) or None),
    )
    return urlencode({k: v for k, v in pairs if v} | more)


def runs_page(who: Principal, where: RunFilter, page: RunPage, workflows: Sequence[str]) -> str:
    if page.runs:
        table = (
            '<table class="stack runs"><caption class="visually-hidden">Runs, newest first'
            "</caption><thead><tr><th>Run</th><th>Workflow</th><th>Status</th>"
            "<th>Conversation</th><th>Started (UTC)</th><th>Finished</th>"
            "<th>Step or error</th></tr></thead>"
            f"<tbody>{''.join(_row(run) for run in page.runs)}</tbody></table>"
        )
    else:
        table = "<p>No runs match.</p>"
    pager = ""
    if page.next_before is not None:
        query = filter_query(where, before=str(page.next_before))
        pager = f'<p class="pager"><a href="/console/runs?{escape(query)}">Older runs</a></p>'
    funnel = ""
    if where.workflow:
        link = f"/console/workflows/{quote(where.workflow, safe='')}/funnel"
        funnel = (
            f'<p><a href="{escape(link)}">Funnel of {escape(where.workflow)}</a>: how many '
            "runs reached each step</p>"
        )
    content = f'{_filter_form(where, workflows)}{funnel}<div class="panel">{table}</div>{pager}'
    return layout("Runs", "runs", who, content)


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return f"<code>{escape(text if len(text) <= 300 else text[:299] + '…')}</code>"


def _checks(data: dict[str, Any]) -> str:
    checks = [c for c in data.get("checks") or [] if isinstance(c, dict)]
    if not checks:
        return ""
    rows = "".join(
        "<tr>"
        f'<td data-label="Field"><code>{escape(str(c.get("field", "")))}</code></td>'
        f'<td data-label="Value (left)">{_value(c.get("actual"))}</td>'
        f'<td data-label="Operator"><code>{escape(str(c.get("op", "")))}</code></td>'
        f'<td data-label="Compared with (right)">{_value(c.get("expected"))}</td>'
        f'<td data-label="Result">{"true" if c.get("result") else "false"}</td>'
        "</tr>"
        for c in checks
    )
    return (
        '<table class="stack checks"><caption class="visually-hidden">Values compared'
        "</caption><thead><tr><th>Field</th><th>Value (left)</th><th>Operator</th>"
        f"<th>Compared with (right)</th><th>Result</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _data_list(values: dict[str, Any]) -> str:
    shown = {k: v for k, v in values.items() if v not in (None, "", [], {})}
    if not shown:
        return ""
    items = "".join(
        f"<dt>{escape(str(key))}</dt><dd>{_value(value)}</dd>" for key, value in shown.items()
    )
    return f'<dl class="run-data">{items}</dl>'


def _line_body(line: LogLine, timing: str) -> str:
    data = line.data or {}
    parts = [f'<p class="run-message">{escape(line.message)}</p>']
    if line.kind == "error":
        parts = [f'<pre class="run-error">{escape(line.message)}</pre>']
    facts = []
    if data.get("exit"):
        facts.append(f"exit <code>{escape(str(data['exit']))}</code>")
    if timing:
        facts.append(escape(timing))
    if line.duration_ms is not None:
        facts.append(f"took {escape(span(line.duration_ms / 1000) or '0 ms')}")
    if data.get("until"):
        facts.append(f"waits until {_until(data['until'])}")
    if data.get("missing"):
        names = ", ".join(str(n) for n in data["missing"])
        facts.append(f"empty variables: <code>{escape(names)}</code>")
    if facts:
        parts.append(f'<p class="run-facts">{" · ".join(facts)}</p>')
    if line.kind == "condition":
        parts.append(_checks(data))
    if line.kind == "call":
        parts.append(_data_list({"reason": data.get("reason"), "data": data.get("data")}))
    return "".join(parts)


def _until(value: object) -> str:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return f"<code>{escape(str(value))}</code>"
    return f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M:%S %Z}'.strip() + "</time>"


def _timeline(detail: RunDetail) -> str:
    items = []
    for index, line in enumerate(detail.run.lines):
        timing = detail.timings.get(index)
        kind = KINDS.get(line.kind, line.kind)
        where = f' <code class="run-step">{escape(line.step_id)}</code>' if line.step_id else ""
        items.append(
            f'<li class="run-line run-{escape(line.kind)}">'
            f'<p class="run-head"><span class="run-kind">{escape(kind)}</span>{where} '
            f'<span class="muted">{when(line.at)}</span></p>'
            f"{_line_body(line, timing.text() if timing else '')}</li>"
        )
    if not items:
        return "<p>This run has no log lines.</p>"
    return f'<ol class="run-timeline" aria-label="Run log, oldest first">{"".join(items)}</ol>'


def _skipped(detail: RunDetail) -> str:
    if not detail.skipped:
        return ""
    rows = "".join(
        "<li>"
        f"<strong>{escape(skip.workflow or '?')}</strong>: {escape(skip.message)}"
        f"{_checks(skip.data or {})}</li>"
        for skip in detail.skipped
    )
    return (
        '<section class="panel run-section" aria-labelledby="skipped-title"><h2 id="skipped-title">'
        f'Workflows this event did not start</h2><ul class="run-skipped">{rows}</ul></section>'
    )


def _parent(detail: RunDetail) -> str:
    """The run that started this one (a ``trigger_workflow`` step), linked."""
    for line in detail.run.lines:
        parent = line.data.get("parent_run_id") if line.kind == "trigger" else None
        if isinstance(parent, int):
            return f' from <a href="/console/runs/{parent}">run {parent}</a>'
    return ""


def _now_at(run: RunView) -> str:
    step = f"<code>{escape(run.cursor)}</code>" if run.cursor else ""
    if run.finished_at is not None:
        return f"stopped at {step}" if run.error and step else "ended"
    return f"at {step}" if step else "starting"


def run_page(who: Principal, detail: RunDetail) -> str:
    run = detail.run
    funnel = f"/console/workflows/{quote(run.workflow, safe='')}/funnel"
    facts = (
        '<dl class="workflow-facts run-facts-list">'
        f"<div><dt>Workflow</dt><dd>{escape(run.workflow)} v{run.version} "
        f'(<a href="{escape(funnel)}">funnel</a>, '
        f'<a href="/console/runs?{escape(urlencode({"workflow": run.workflow}))}">runs</a>)'
        "</dd></div>"
        f"<div><dt>Status</dt><dd>{status_badge(run)}</dd></div>"
        f"<div><dt>Conversation</dt><dd>{conversation_link(run.conversation_id)}</dd></div>"
        f"<div><dt>Started (UTC)</dt><dd>{when(run.started_at)}</dd></div>"
        f"<div><dt>Finished</dt><dd>{_ended(run)}</dd></div>"
        f"<div><dt>Now at</dt><dd>{_now_at(run)}</dd></div>"
        "</dl>"
    )
    error = ""
    if run.error:
        error = (
            '<section class="panel run-section" aria-labelledby="error-title"><h2 id="error-title">Error</h2>'
            f'<pre class="run-error">{escape(run.error)}</pre></section>'
        )
    trigger = (
        '<section class="panel run-section" aria-labelledby="trigger-title">'
        '<h2 id="trigger-title">Trigger</h2>'
        f"<p>Started by <code>{escape(detail.trigger_event)}</code>"
        f"{f' #{run.trigger_event_id}' if run.trigger_event_id else ''}{_parent(detail)}</p>"
        f"{_data_list(detail.trigger_data)}</section>"
    )
    log = (
        '<section class="panel run-section" aria-labelledby="log-title"><h2 id="log-title">Log</h2>'
        f"{_timeline(detail)}</section>"
    )
    content = f"{facts}{error}{trigger}{log}{_skipped(detail)}"
    return layout(f"Run {run.id}", "runs", who, content)
