"""A workflow's funnel as HTML text: the period form, the totals, the table (the numbers
without JavaScript) and the places funnel.js draws the chart and the graph in."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from bot.app.console.views import embed_json, layout
from bot.domain.console_sessions import Principal
from bot.domain.funnel import PRESETS, ExitCount, Funnel, StepFunnel

PRESET_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}


def _local(result: Funnel, which: str) -> str:
    at = result.period.since if which == "since" else result.period.until
    return at.strftime("%Y-%m-%dT%H:%M")


def _period_form(result: Funnel, path: str) -> str:
    current = ' aria-current="true"'
    presets = "".join(
        f'<a class="preset" href="{escape(path)}?period={name}"'
        f"{current if result.period.preset == name else ''}>{PRESET_LABELS[name]}</a>"
        for name in PRESETS
    )
    return (
        f'<nav class="funnel-presets" aria-label="Period">{presets}</nav>'
        f'<form method="get" action="{escape(path)}" class="filters" '
        'aria-label="Choose the period">'
        '<div class="field"><label for="since">Runs started since (UTC)</label>'
        f'<input id="since" name="since" type="datetime-local" value="{_local(result, "since")}">'
        "</div>"
        '<div class="field"><label for="until">Started before (UTC)</label>'
        f'<input id="until" name="until" type="datetime-local" value="{_local(result, "until")}">'
        "</div>"
        '<div class="field"><button type="submit">Show</button></div></form>'
    )


def _totals(result: Funnel) -> str:
    runs = f"/console/runs?{urlencode({'workflow': result.workflow})}"
    failed = f"/console/runs?{urlencode({'workflow': result.workflow, 'status': 'failed'})}"
    facts = (
        ("Started", str(result.started), runs),
        ("Completed", str(result.completed), ""),
        ("Failed", str(result.failed), failed if result.failed else ""),
        ("Stopped by a person", str(result.cancelled), ""),
        ("Not finished yet", str(result.in_progress), ""),
    )
    items = "".join(
        f"<div><dt>{label}</dt><dd>"
        + (f'<a href="{escape(link)}">{value}</a>' if link else value)
        + "</dd></div>"
        for label, value, link in facts
    )
    return f'<dl class="workflow-facts funnel-totals">{items}</dl>'


def _exit(exit_: ExitCount) -> str:
    name = f"<code>{escape(exit_.exit)}</code>" if exit_.exit else "next"
    where = f"<code>{escape(exit_.to)}</code>" if exit_.to is not None else "the end"
    return f"<li>{name} → {where}: <strong>{exit_.runs}</strong></li>"


def _row(step: StepFunnel) -> str:
    exits = "".join(_exit(e) for e in step.exits)
    left = f'<ul class="funnel-exits">{exits}</ul>' if exits else "—"
    old = "" if step.in_workflow else ' <span class="muted">(not in this version)</span>'
    return (
        "<tr>"
        f'<th scope="row" data-label="Step"><code>{escape(step.step_id)}</code>{old}</th>'
        f'<td data-label="Reached" class="num">{step.reached}</td>'
        f'<td data-label="Left by">{left}</td>'
        f'<td data-label="Failed here" class="num">{step.failed}</td>'
        f'<td data-label="Waiting here now" class="num">{step.stuck}</td>'
        "</tr>"
    )


def funnel_page(
    who: Principal,
    result: Funnel,
    data: dict[str, Any],
    ab_tests: str = "",
    splits: dict[str, Any] | None = None,
) -> str:
    """The page; ``ab_tests`` the A/B sections (split_views) and ``splits`` their data."""
    path = f"/console/workflows/{quote(result.workflow, safe='')}/funnel"
    rows = "".join(_row(step) for step in result.steps)
    period = f"{result.period.since:%Y-%m-%d %H:%M} to {result.period.until:%Y-%m-%d %H:%M} UTC"
    table = (
        '<table class="stack funnel-table"><caption>Runs of version '
        f"{result.version}'s steps, started {escape(period)}</caption>"
        '<thead><tr><th scope="col">Step</th><th scope="col">Reached</th>'
        '<th scope="col">Left by (exit → next step: runs)</th>'
        '<th scope="col">Failed here</th><th scope="col">Waiting here now</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    chart = (
        '<section class="panel run-section" aria-labelledby="chart-title">'
        '<h2 id="chart-title">Runs reaching each step</h2>'
        '<div class="funnel-chart"><canvas id="funnel-chart" role="img" '
        'aria-label="Bar chart of the runs that reached each step; the table below has the '
        'same numbers">The table below has these numbers.</canvas></div></section>'
    )
    graph = (
        '<section class="panel run-section" aria-labelledby="graph-title">'
        '<h2 id="graph-title">On the workflow</h2>'
        '<div id="funnel-graph" class="workflow-graph funnel-graph" tabindex="0" role="group" '
        'aria-label="The graph with the numbers (scrolls)">'
        '<p class="muted">The graph needs JavaScript; the table has the same numbers.</p>'
        "</div></section>"
    )
    content = (
        f'<p class="muted">Runs of <strong>{escape(result.workflow)}</strong> started '
        f"{escape(period)}. Stuck runs are those still waiting or running now.</p>"
        f"{_period_form(result, path)}{_totals(result)}"
        f'<div class="panel">{table}</div>{ab_tests}{chart}{graph}'
        f"{embed_json('funnel-data', data)}"
        f"{embed_json('splits-data', splits) if splits is not None else ''}"
    )
    return layout(f"Funnel: {result.workflow}", "workflows", who, content, scripts=("funnel",))
