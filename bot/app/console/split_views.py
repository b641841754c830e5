"""A workflow's A/B tests on its funnel page: per split step, the goal, a table of each
branch's conversations, goals reached, goal rate and 95 % interval, the place funnel.js
draws the chart in and, for admins, a form per branch that promotes it."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from bot.app.api.splits import AbTest, AbTests, describe_goal
from bot.app.console.views import csrf_input
from bot.domain.console_sessions import Principal
from bot.domain.split_results import BranchResult


def promote_path(workflow: str, step_id: str) -> str:
    return f"/console/workflows/{quote(workflow, safe='')}/splits/{quote(step_id, safe='')}/promote"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _row(branch: BranchResult, has_goal: bool) -> str:
    interval = (
        f"{_percent(branch.low)} to {_percent(branch.high)}" if has_goal and branch.runs else "—"
    )
    return (
        "<tr>"
        f'<th scope="row" data-label="Branch"><code>{escape(branch.name)}</code></th>'
        f'<td data-label="Conversations" class="num">{branch.runs}</td>'
        f'<td data-label="Goals reached" class="num">{branch.goals if has_goal else "—"}</td>'
        f'<td data-label="Goal rate" class="num">{_percent(branch.rate)}</td>'
        f'<td data-label="95 % interval">{interval}</td>'
        "</tr>"
    )


def _promote_forms(who: Principal, workflow: str, test: AbTest, index: int) -> str:
    forms = []
    for number, branch in enumerate(test.branches):
        box = f"ab-{index}-{number}-confirm"
        name = escape(branch.name)
        forms.append(
            f'<form method="post" action="{escape(promote_path(workflow, test.step_id))}" '
            'class="ab-promote-form">'
            f"{csrf_input(who.csrf_token)}"
            f'<input type="hidden" name="branch" value="{name}">'
            f'<div class="field checkbox"><input type="checkbox" id="{box}" name="confirm" value="yes" '
            f'required><label for="{box}">Yes: publish a version without this test, where every '
            f"new conversation takes <code>{name}</code></label></div>"
            f'<button type="submit">Promote {name}</button></form>'
        )
    return (
        '<div class="ab-promote"><h3>Promote a winner</h3>'
        '<p class="muted">Promoting publishes a new current version without the split: the '
        "way into it leads where the branch went. Runs in flight finish on their version.</p>"
        f"{''.join(forms)}</div>"
    )


def _test(who: Principal, found: AbTests, test: AbTest, index: int) -> str:
    title = f"ab-{index}-title"
    has_goal = test.goal is not None
    rows = "".join(_row(b, has_goal) for b in test.branches)
    table = (
        f'<table class="stack ab-table"><caption>Conversations per branch of '
        f"<code>{escape(test.step_id)}</code> that passed it in the period</caption>"
        '<thead><tr><th scope="col">Branch</th><th scope="col">Conversations</th>'
        '<th scope="col">Goals reached</th><th scope="col">Goal rate</th>'
        '<th scope="col">95 % interval</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    chart = (
        f'<div class="ab-chart"><canvas id="ab-chart-{index}" data-split="{index}" role="img" '
        f'aria-label="Bar chart of the goal rate of each branch of {escape(test.step_id)} '
        'with its 95 % interval; the table has the same numbers">'
        "The table has these numbers.</canvas></div>"
        if has_goal
        else ""
    )
    if not test.current:
        note = (
            f'<p class="muted">Version {found.version}, the current one, has no split '
            f"<code>{escape(test.step_id)}</code>: these are older runs.</p>"
        )
        promote = ""
    else:
        note = ""
        promote = _promote_forms(who, found.workflow, test, index) if who.account.is_admin else ""
    return (
        f'<section class="panel run-section ab-test" aria-labelledby="{title}">'
        f'<h2 id="{title}">A/B test: {escape(test.step_id)}</h2>'
        f'<p class="ab-goal">Goal: {escape(describe_goal(test.goal))}.</p>{note}'
        f"{table}{chart}{promote}</section>"
    )


def ab_sections(who: Principal, found: AbTests) -> str:
    """A section per A/B test of the workflow ("" when it has none)."""
    return "".join(_test(who, found, test, index) for index, test in enumerate(found.tests))
