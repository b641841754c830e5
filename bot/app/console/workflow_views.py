"""The workflows pages as HTML text: the list, one workflow (graph, YAML, versions) and the
diff of two versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from bot.app.console.views import csrf_input, embed_json, layout
from bot.domain.console_sessions import Principal
from bot.domain.workflow_store import WorkflowInfo
from bot.domain.workflow_versions import VersionDiff, VersionInfo, VersionView, WorkflowDetail

ERROR_CHARS = 80


def _when(at: datetime) -> str:
    return f'<time datetime="{at.isoformat()}">{at.strftime("%Y-%m-%d %H:%M")}</time>'


def workflow_path(name: str) -> str:
    return f"/console/workflows/{quote(name, safe='')}"


def _last_error(w: WorkflowInfo) -> str:
    error = w.last_error
    if error is None:
        return '<span class="muted">none</span>'
    text = error.message if len(error.message) <= ERROR_CHARS else error.message[:ERROR_CHARS] + "…"
    return (
        f'<a href="/console/runs/{error.run_id}">{escape(text)}</a>'
        f'<br><span class="muted">{_when(error.at)}</span>'
    )


def workflows_page(who: Principal, items: Sequence[WorkflowInfo], notice: str = "") -> str:
    admin = who.account.is_admin
    rows = []
    for w in items:
        state = (
            '<span class="state-on">Enabled</span>'
            if w.enabled
            else '<span class="state-off">Disabled</span>'
        )
        cells = (
            f'<td data-label="Name"><div><a href="{workflow_path(w.name)}">'
            f"<strong>{escape(w.name)}</strong></a>"
            f"{'<br><span class=muted>' + escape(w.description) + '</span>' if w.description else ''}"
            "</div></td>"
            f'<td data-label="Status">{state}</td>'
            f'<td data-label="Version">v{w.version}</td>'
            f'<td data-label="Trigger"><code>{escape(w.trigger)}</code></td>'
            f'<td data-label="Runs (24 h)">{w.recent_runs}</td>'
            f'<td data-label="Last error" class="last-error">{_last_error(w)}</td>'
        )
        if admin:
            verb = "disable" if w.enabled else "enable"
            cells += (
                f'<td data-label="Action"><form method="post" '
                f'action="/console/workflows/{escape(w.name)}/{verb}">'
                f"{csrf_input(who.csrf_token)}"
                f'<button type="submit" class="{"danger" if w.enabled else ""}">'
                f'{verb.capitalize()}<span class="visually-hidden"> {escape(w.name)}</span>'
                "</button></form></td>"
            )
        rows.append(f"<tr>{cells}</tr>")
    head = (
        "<th>Name</th><th>Status</th><th>Version</th><th>Trigger</th>"
        "<th>Runs (24 h)</th><th>Last error</th>"
    )
    if admin:
        head += '<th><span class="visually-hidden">Action</span></th>'
    note = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if admin:
        note += '<p class="links"><a href="/console/workflows/new">New workflow</a></p>'
    else:
        note += '<p class="muted">Read only: only admins switch workflows on and off.</p>'
    if not items:
        table = "<p>No workflows yet: <code>relaybot workflows import examples/workflows</code></p>"
    else:
        table = (
            f'<table class="stack"><caption class="visually-hidden">Workflows</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    return layout("Workflows", "workflows", who, f'{note}<div class="panel">{table}</div>')


def _steps(chart: dict[str, Any]) -> str:
    """The chart as an ordered list: each box with where it goes (the page without scripts)."""
    labels = {node["key"]: node["label"] for node in chart["nodes"]}
    items = []
    for node in chart["nodes"]:
        ways = [
            f"<li>{escape(edge['label'] or 'next')} → {escape(labels.get(edge['target'], ''))}</li>"
            for edge in chart["edges"]
            if edge["source"] == node["key"]
        ]
        exits = f"<ul>{''.join(ways)}</ul>" if ways else ""
        items.append(f"<li><span class=mono>{escape(node['label'])}</span>{exits}</li>")
    return f'<ol class="workflow-steps">{"".join(items)}</ol>'


def _compare_form(name: str, versions: Sequence[VersionInfo], old: int, new: int) -> str:
    def options(chosen: int) -> str:
        return "".join(
            f'<option value="{v.number}"{" selected" if v.number == chosen else ""}>'
            f"v{v.number}{' (current)' if v.current else ''}</option>"
            for v in versions
        )

    return (
        f'<form class="filters compare" method="get" action="{workflow_path(name)}/diff">'
        f'<div class="field"><label for="diff-from">From</label>'
        f'<select id="diff-from" name="from">{options(old)}</select></div>'
        f'<div class="field"><label for="diff-to">To</label>'
        f'<select id="diff-to" name="to">{options(new)}</select></div>'
        '<div class="field"><button type="submit">Compare</button></div></form>'
    )


def _versions(who: Principal, detail: WorkflowDetail) -> str:
    admin = who.account.is_admin
    current = detail.current.info.number
    rows = []
    for v in detail.versions:
        action = ""
        if v.current:
            action = '<strong class="state-on">Current</strong>'
        elif admin:
            words = (
                "Roll back to this version" if v.number < current else "Make this version current"
            )
            action = (
                f'<form method="post" action="{workflow_path(detail.name)}/rollback">'
                f"{csrf_input(who.csrf_token)}"
                f'<input type="hidden" name="version" value="{v.number}">'
                f'<button type="submit" class="secondary">{words}'
                f'<span class="visually-hidden"> (v{v.number})</span></button></form>'
            )
        rows.append(
            f"<tr{' class=current-version' if v.current else ''}>"
            f'<td data-label="Version"><a href="{workflow_path(detail.name)}?version={v.number}">'
            f"v{v.number}</a></td>"
            f'<td data-label="Created">{_when(v.created_at)}</td>'
            f'<td data-label="Checksum"><code>{escape(v.checksum[:12])}</code></td>'
            f'<td data-label="Runs">{v.runs}</td>'
            f'<td data-label="Current">{action}</td></tr>'
        )
    table = (
        '<table class="stack versions"><caption class="visually-hidden">Versions</caption>'
        "<thead><tr><th>Version</th><th>Created</th><th>Checksum</th><th>Runs</th>"
        f'<th><span class="visually-hidden">Current or action</span></th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    numbers = [v.number for v in detail.versions]
    older = [n for n in numbers if n < current]
    compare = (
        _compare_form(detail.name, detail.versions, older[0] if older else numbers[-1], current)
        if len(numbers) > 1
        else '<p class="muted">One version so far: nothing to compare.</p>'
    )
    note = "" if admin else '<p class="muted">Read only: only admins roll back.</p>'
    return f"{note}{table}<h3>Compare two versions</h3>{compare}"


def _toggle_form(who: Principal, detail: WorkflowDetail) -> str:
    if not who.account.is_admin:
        return ""
    verb = "disable" if detail.enabled else "enable"
    return (
        f'<form class="workflow-toggle" method="post" action="{workflow_path(detail.name)}/{verb}">'
        f'{csrf_input(who.csrf_token)}<input type="hidden" name="back" value="workflow">'
        f'<button type="submit" class="{"danger" if detail.enabled else ""}">'
        f'{verb.capitalize()}<span class="visually-hidden"> {escape(detail.name)}</span>'
        "</button></form>"
    )


def _facts(who: Principal, detail: WorkflowDetail) -> str:
    state = (
        '<span class="state-on">Enabled</span>'
        if detail.enabled
        else '<span class="state-off">Disabled</span>'
    )
    described = (
        f"<div><dt>Description</dt><dd>{escape(detail.description)}</dd></div>"
        if detail.description
        else ""
    )
    return (
        '<dl class="workflow-facts">'
        f"<div><dt>Status</dt><dd>{state} {_toggle_form(who, detail)}</dd></div>"
        f"<div><dt>Trigger</dt><dd><code>{escape(detail.trigger)}</code></dd></div>"
        f"<div><dt>Current version</dt><dd>v{detail.current.info.number}</dd></div>"
        f"{described}</dl>"
    )


def _graph_and_yaml(name: str, shown: VersionView) -> str:
    number = shown.info.number
    graph = (
        '<section class="panel" aria-labelledby="graph-heading">'
        f'<h2 id="graph-heading">Graph (v{number})</h2>'
        f'<div id="workflow-graph" class="workflow-graph" data-name="{escape(name)}"'
        ' role="region" aria-labelledby="graph-heading" tabindex="0" hidden>'
        "</div>"
        f"{embed_json('workflow-chart', shown.chart)}"
        '<details id="workflow-steps" open><summary>Steps in order</summary>'
        f"{_steps(shown.chart)}</details></section>"
    )
    source = (
        '<section class="panel" aria-labelledby="yaml-heading">'
        f'<h2 id="yaml-heading">YAML (v{number})</h2>'
        f'<pre class="yaml" tabindex="0"><code>{escape(shown.yaml)}</code></pre></section>'
    )
    return graph + source


def workflow_page(who: Principal, detail: WorkflowDetail, notice: str = "") -> str:
    note = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    versions = (
        '<section class="panel" aria-labelledby="versions-heading">'
        f'<h2 id="versions-heading">Versions</h2>{_versions(who, detail)}</section>'
    )
    edit = (
        f' · <a href="{workflow_path(detail.name)}/edit">Edit</a>' if who.account.is_admin else ""
    )
    back = (
        '<p class="links"><a href="/console/workflows">← All workflows</a>'
        f' · <a href="/console/runs?{escape(urlencode({"workflow": detail.name}))}">Its runs</a>'
        f' · <a href="{workflow_path(detail.name)}/funnel">Its funnel</a>{edit}</p>'
    )
    content = (
        f'{back}{note}{_facts(who, detail)}<div class="workflow-sections">'
        f"{_graph_and_yaml(detail.name, detail.current)}{versions}</div>"
    )
    return layout(f"Workflow {detail.name}", "workflows", who, content, scripts=("workflow",))


def version_page(who: Principal, detail: WorkflowDetail, shown: VersionView) -> str:
    """One version of a workflow: its graph and YAML, and how it compares with the current."""
    info = shown.info
    current = detail.current.info.number
    if info.current:
        about = "This is the current version."
    else:
        about = f"Imported {info.created_at:%Y-%m-%d %H:%M}; v{current} is current."
    compare = ""
    if not info.current:
        low, high = sorted((info.number, current))
        compare = (
            f' <a href="{workflow_path(detail.name)}/diff?from={low}&amp;to={high}">'
            f"Compare v{low} with v{high}</a>"
        )
    content = (
        f'<p><a href="{workflow_path(detail.name)}">← Workflow {escape(detail.name)}</a></p>'
        f'<p class="muted">{about} {info.runs} run{"s" if info.runs != 1 else ""} started on it;'
        f" checksum <code>{escape(info.checksum[:12])}</code>.{compare}</p>"
        f'<div class="workflow-sections">{_graph_and_yaml(detail.name, shown)}</div>'
    )
    title = f"{detail.name} v{info.number}"
    return layout(title, "workflows", who, content, scripts=("workflow",))


def _diff_table(found: VersionDiff) -> str:
    if not found.lines:
        return '<p class="notice" role="status">The two versions are the same.</p>'
    rows = []
    signs = {"added": ("+", "added"), "removed": ("-", "removed")}
    for line in found.lines:
        if line.kind == "hunk":
            rows.append(
                f'<tr class="diff-hunk"><td colspan="4"><code>{escape(line.text)}</code></td></tr>'
            )
            continue
        sign, word = signs.get(line.kind, (" ", ""))
        spoken = f'<span class="visually-hidden">{word}</span>' if word else ""
        rows.append(
            f'<tr class="diff-{line.kind}">'
            f'<td class="diff-no">{line.old or ""}</td><td class="diff-no">{line.new or ""}</td>'
            f'<td class="diff-sign"><span aria-hidden="true">{sign}</span>{spoken}</td>'
            f"<td><code>{escape(line.text)}</code></td></tr>"
        )
    return (
        '<table class="diff"><caption class="visually-hidden">'
        f"Changes from v{found.old} to v{found.new}</caption>"
        f'<thead><tr><th scope="col">v{found.old}</th><th scope="col">v{found.new}</th>'
        '<th scope="col"><span class="visually-hidden">Change</span></th>'
        '<th scope="col">Line</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def diff_page(who: Principal, detail: WorkflowDetail, found: VersionDiff) -> str:
    added = sum(1 for line in found.lines if line.kind == "added")
    removed = sum(1 for line in found.lines if line.kind == "removed")
    content = (
        f'<p><a href="{workflow_path(detail.name)}">← Workflow {escape(detail.name)}</a></p>'
        f'<div class="panel">{_compare_form(detail.name, detail.versions, found.old, found.new)}'
        f'<p class="diff-summary">{added} line{"s" if added != 1 else ""} added, '
        f"{removed} removed.</p>{_diff_table(found)}</div>"
    )
    return layout(f"{detail.name}: v{found.old} → v{found.new}", "workflows", who, content)
