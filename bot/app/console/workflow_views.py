"""The workflows pages as HTML text."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.app.console.views import csrf_input, layout
from bot.domain.console_sessions import Principal
from bot.domain.workflow_store import WorkflowInfo


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
            f'<td data-label="Name"><div><strong>{escape(w.name)}</strong>'
            f"{'<br><span class=muted>' + escape(w.description) + '</span>' if w.description else ''}"
            "</div></td>"
            f'<td data-label="Status">{state}</td>'
            f'<td data-label="Version">v{w.version}</td>'
            f'<td data-label="Trigger"><code>{escape(w.trigger)}</code></td>'
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
    head = "<th>Name</th><th>Status</th><th>Version</th><th>Trigger</th>"
    if admin:
        head += '<th><span class="visually-hidden">Action</span></th>'
    note = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if not admin:
        note += '<p class="muted">Read only: only admins switch workflows on and off.</p>'
    if not items:
        table = "<p>No workflows yet: <code>relaybot workflows import examples/workflows</code></p>"
    else:
        table = (
            f'<table class="stack"><caption class="visually-hidden">Workflows</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    return layout("Workflows", "workflows", who, f'{note}<div class="panel">{table}</div>')
