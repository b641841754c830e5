"""The workflow builder's pages as HTML text: a new workflow (from a trigger or an example)
and the editor (YAML, problems, graph, save, discard, publish, replay, preview chat)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from bot.app.console.views import csrf_input, embed_json, layout
from bot.app.console.workflow_views import workflow_path
from bot.domain.console_sessions import Principal
from bot.domain.workflow_drafts import Draft
from bot.domain.workflow_replay import VERDICTS, ReplayReport
from workflows.problems import Problem
from workflows.replay import Outcome

SHOWN_VERDICTS = ("differs", "fails", "would_not_start")
"""The outcomes the replay table lists (the rest are counted only)."""
REPLAY_CHOICES = (10, 50, 100, 500)


@dataclass(frozen=True)
class Editor:
    """What the editor page shows."""

    name: str
    yaml: str
    draft: Draft | None
    current: int | None
    """The workflow's current version (None: not published yet)."""
    problems: list[Problem]
    chart: dict[str, Any] | None
    notice: str = ""
    error: str = ""
    replay: ReplayReport | None = None
    last: int = 100


def edit_path(name: str) -> str:
    return f"{workflow_path(name)}/edit"


def _notices(notice: str, error: str) -> str:
    shown = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if error:
        shown += f'<p class="notice error" role="alert">{escape(error)}</p>'
    return shown


def problems_table(problems: Sequence[Problem]) -> str:
    """The problems as the CLI names them: file, step, field and reason."""
    if not problems:
        return '<p class="builder-ok">No problems: this draft can be published.</p>'
    rows = "".join(
        "<tr>"
        f'<td data-label="File"><code>{escape(p.file)}</code></td>'
        f'<td data-label="Step">{escape(p.where)}</td>'
        f'<td data-label="Field"><code>{escape(p.field)}</code></td>'
        f'<td data-label="Reason">{escape(p.reason)}</td></tr>'
        for p in problems
    )
    return (
        '<table class="stack builder-problems"><caption class="visually-hidden">Problems'
        "</caption><thead><tr><th>File</th><th>Step</th><th>Field</th><th>Reason</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _problem_count(problems: Sequence[Problem]) -> str:
    n = len(problems)
    return "No problems" if n == 0 else f"{n} problem{'s' if n != 1 else ''}"


def _about(editor: Editor) -> str:
    draft = editor.draft
    if draft is None:
        if editor.current is None:
            return "Not saved yet."
        return f"No draft: this is v{editor.current}, the current version. Save to start a draft."
    based = "a new workflow" if draft.base_version is None else f"v{draft.base_version}"
    saved = f"{draft.saved_at:%Y-%m-%d %H:%M}"
    text = f"Draft saved by {escape(draft.saved_by)} at {saved}, based on {based}."
    if editor.current is not None and draft.base_version not in (None, editor.current):
        text += f" v{editor.current} has been published since."
    return text


def _editor_panel(who: Principal, editor: Editor) -> str:
    return (
        '<section class="panel builder-editor" aria-labelledby="draft-heading">'
        '<h2 id="draft-heading">Draft</h2>'
        f'<form method="post" action="{edit_path(editor.name)}" id="draft-form">'
        f"{csrf_input(who.csrf_token)}"
        '<label for="draft-yaml">YAML of the draft</label>'
        '<p class="muted" id="yaml-help">Problems and the graph follow as you type; '
        "Tab moves on to the next control. A draft never runs.</p>"
        '<textarea id="draft-yaml" name="yaml" class="yaml-editor" rows="28" spellcheck="false"'
        ' autocapitalize="off" autocomplete="off" aria-describedby="yaml-help draft-state"'
        f' data-name="{escape(editor.name)}">{escape(editor.yaml)}</textarea>'
        f'<p class="muted" id="draft-state" role="status">{_about(editor)}</p>'
        '<div class="builder-buttons"><button type="submit">Save draft</button></div></form>'
        + (
            f'<form method="post" action="{edit_path(editor.name)}/discard" class="builder-discard">'
            f'{csrf_input(who.csrf_token)}<button type="submit" class="danger">Discard draft'
            "</button></form>"
            if editor.draft is not None
            else ""
        )
        + "</section>"
    )


def _check_panel(editor: Editor) -> str:
    chart = editor.chart
    return (
        '<section class="panel builder-check" aria-labelledby="problems-heading">'
        f'<h2 id="problems-heading">Problems <span id="problem-count" role="status">'
        f"({_problem_count(editor.problems)})</span></h2>"
        f'<div id="draft-problems">{problems_table(editor.problems)}</div>'
        '<h2 id="draft-graph-heading">Graph</h2>'
        '<p class="muted" id="draft-graph-note" hidden>The graph shows the last text that could'
        " be read.</p>"
        '<div id="draft-graph" class="workflow-graph" role="region" tabindex="0"'
        ' aria-labelledby="draft-graph-heading">'
        + ("" if chart else '<p class="muted">No graph while the draft cannot be read.</p>')
        + "</div>"
        + '<section id="step-editor" class="step-editor" aria-labelledby="step-editor-heading"'
        ' hidden><h2 id="step-editor-heading">Edit on the graph</h2></section>'
        + embed_json("draft-chart", chart)
        + "</section>"
    )


def _publish_panel(who: Principal, editor: Editor) -> str:
    if editor.draft is None:
        body = '<p class="muted">Save a draft first: publishing makes the saved draft current.</p>'
    else:
        body = (
            f'<form method="post" action="{workflow_path(editor.name)}/publish" id="publish-form"'
            ' class="builder-publish">'
            f"{csrf_input(who.csrf_token)}"
            "<fieldset><legend>Runs in flight</legend>"
            '<div class="field checkbox"><input type="radio" id="in-flight-finish"'
            ' name="in_flight" value="finish" checked>'
            '<label for="in-flight-finish">Finish on the version they started on</label></div>'
            '<div class="field checkbox"><input type="radio" id="in-flight-move"'
            ' name="in_flight" value="move">'
            '<label for="in-flight-move">Move waiting runs to the new version where their step'
            " still exists</label></div></fieldset>"
            '<button type="submit">Publish</button></form>'
        )
    return (
        '<section class="panel" aria-labelledby="publish-heading">'
        f'<h2 id="publish-heading">Publish</h2>{body}</section>'
    )


def _value(value: Any) -> str:
    return f"<code>{escape(json.dumps(value, ensure_ascii=False))}</code>"


def _checks(checks: Sequence[dict[str, Any]]) -> str:
    if not checks:
        return '<span class="muted">none</span>'
    return "<br>".join(
        f"<code>{escape(str(c.get('field', '')))}</code> = {_value(c.get('actual'))} "
        f"<code>{escape(str(c.get('op', '')))}</code> {_value(c.get('expected'))}: "
        f"{'true' if c.get('result') else 'false'}"
        for c in checks
    )


def _path(steps: Sequence[object]) -> str:
    return escape(" → ".join(str(s) for s in steps)) or '<span class="muted">none</span>'


def _outcome_row(o: Outcome) -> str:
    return (
        "<tr>"
        f'<td data-label="Run"><a href="/console/runs/{o.run_id}">#{o.run_id}</a></td>'
        f'<td data-label="Outcome">{escape(o.verdict.replace("_", " "))}</td>'
        f'<td data-label="Reason">{escape(o.reason)}</td>'
        f'<td data-label="Step">{escape(o.step_id or "")}</td>'
        f'<td data-label="Compared">{_checks(o.checks)}</td>'
        f'<td data-label="Paths">recorded: {_path(o.recorded_path)}<br>'
        f"draft: {_path(o.replayed_path)}</td></tr>"
    )


def replay_report(report: ReplayReport) -> str:
    counts = "".join(
        f"<div><dt>{escape(v.replace('_', ' '))}</dt><dd>{report.counts.get(v, 0)}</dd></div>"
        for v in VERDICTS
    )
    listed = [o for o in report.outcomes if o.verdict in SHOWN_VERDICTS]
    n = len(report.outcomes)
    table = (
        '<table class="stack replay-outcomes"><caption class="visually-hidden">Runs the draft'
        " would change</caption><thead><tr><th>Run</th><th>Outcome</th><th>Reason</th>"
        "<th>Step</th><th>Compared</th><th>Paths</th></tr></thead>"
        f"<tbody>{''.join(_outcome_row(o) for o in listed)}</tbody></table>"
        if listed
        else '<p class="muted">No run would go differently.</p>'
    )
    return (
        f'<div id="replay-report"><p role="status">{n} run{"s" if n != 1 else ""} replayed.</p>'
        f'<dl class="workflow-facts replay-counts">{counts}</dl>{table}</div>'
    )


def _replay_panel(editor: Editor) -> str:
    options = "".join(
        f'<option value="{n}"{" selected" if n == editor.last else ""}>{n}</option>'
        for n in REPLAY_CHOICES
    )
    report = "" if editor.replay is None else replay_report(editor.replay)
    return (
        '<section class="panel" aria-labelledby="replay-heading">'
        '<h2 id="replay-heading">Replay</h2>'
        '<p class="muted">What the saved draft would have done with the last runs of the'
        " published workflow. Nothing is sent or stored.</p>"
        f'<form method="get" action="{edit_path(editor.name)}" class="filters" id="replay-form">'
        '<div class="field"><label for="replay-last">Replay against the last N runs</label>'
        f'<select id="replay-last" name="replay">{options}</select></div>'
        '<div class="field"><button type="submit">Replay</button></div></form>'
        f"{report}</section>"
    )


def _preview_panel() -> str:
    outcomes = "".join(
        f'<option value="{o}">{o}</option>' for o in ("success", "declined", "failure")
    )
    return (
        '<section class="panel preview" aria-labelledby="preview-heading" id="preview">'
        '<h2 id="preview-heading">Preview chat</h2>'
        '<p class="muted">Talk to the draft as a visitor would: write a first message, or'
        " press Restart to start without one. Nothing reaches a customer: actions answer from"
        " the examples below.</p>"
        '<p class="muted" id="preview-needs-script">The preview chat needs JavaScript.</p>'
        '<div id="preview-chat" hidden>'
        '<ol class="preview-lines" id="preview-lines" aria-live="polite"'
        ' aria-label="Preview conversation"></ol>'
        '<div class="preview-choices" id="preview-choices"></div>'
        '<form class="preview-say" id="preview-say">'
        '<label for="preview-text">Your answer</label>'
        '<input id="preview-text" name="say" autocomplete="off">'
        '<button type="submit">Send</button></form>'
        '<div class="builder-buttons">'
        '<button type="button" class="secondary" id="preview-skip" disabled>Skip wait</button>'
        '<button type="button" class="secondary" id="preview-restart">Restart</button></div>'
        '<details class="panel"><summary>Examples for actions</summary>'
        '<form class="preview-example" id="preview-example">'
        '<div class="field"><label for="example-action">Action name</label>'
        '<input id="example-action" name="action" placeholder="shopify.order_lookup" required>'
        "</div>"
        '<div class="field"><label for="example-outcome">Outcome</label>'
        f'<select id="example-outcome" name="outcome">{outcomes}</select></div>'
        '<div class="field"><label for="example-data">Data (JSON)</label>'
        '<textarea id="example-data" name="data" rows="3" class="mono">{}</textarea></div>'
        '<button type="submit" class="secondary">Set example</button></form>'
        '<ul id="preview-examples" class="tag-list"></ul></details>'
        "</div></section>"
    )


def editor_page(who: Principal, editor: Editor) -> str:
    back = (
        f'<p><a href="{workflow_path(editor.name)}">← Workflow {escape(editor.name)}</a></p>'
        if editor.current is not None
        else '<p><a href="/console/workflows">← All workflows</a></p>'
    )
    content = (
        f"{back}{_notices(editor.notice, editor.error)}"
        f'<div class="builder-layout">{_editor_panel(who, editor)}{_check_panel(editor)}</div>'
        f'<div class="workflow-sections">{_publish_panel(who, editor)}'
        f"{_replay_panel(editor)}{_preview_panel()}</div>"
    )
    return layout(f"Edit {editor.name}", "workflows", who, content, scripts=("builder",))


def new_page(
    who: Principal,
    triggers: Sequence[str],
    examples: Sequence[str],
    *,
    error: str = "",
    name: str = "",
) -> str:
    trigger_options = "".join(f'<option value="{escape(t)}">{escape(t)}</option>' for t in triggers)
    example_options = "".join(f'<option value="{escape(e)}">{escape(e)}</option>' for e in examples)
    csrf = csrf_input(who.csrf_token)

    def name_field(key: str) -> str:
        return (
            f'<div class="field"><label for="{key}-name">Name</label>'
            f'<input id="{key}-name" name="name" required maxlength="120"'
            f' value="{escape(name)}"'
            f' aria-describedby="name-help"></div>'
        )

    content = (
        '<p><a href="/console/workflows">← All workflows</a></p>'
        f"{_notices('', error)}"
        '<p class="muted" id="name-help">A name: letters, digits, "-", "_" and ".". The new'
        " workflow starts as a draft; nothing runs until you publish it.</p>"
        '<div class="builder-start">'
        '<section class="panel" aria-labelledby="from-trigger"><h2 id="from-trigger">'
        'Start from a trigger</h2><form method="post" action="/console/workflows/new">'
        f'{csrf}<input type="hidden" name="start" value="trigger">{name_field("trigger")}'
        '<div class="field"><label for="trigger-event">Trigger</label>'
        f'<select id="trigger-event" name="trigger">{trigger_options}</select></div>'
        '<button type="submit">Create draft</button></form></section>'
        '<section class="panel" aria-labelledby="from-example"><h2 id="from-example">'
        'Start from an example</h2><form method="post" action="/console/workflows/new">'
        f'{csrf}<input type="hidden" name="start" value="example">{name_field("example")}'
        '<div class="field"><label for="example-file">Example</label>'
        f'<select id="example-file" name="example">{example_options}</select></div>'
        '<button type="submit">Create draft</button></form></section></div>'
    )
    return layout("New workflow", "workflows", who, content)
