"""The console's pages as HTML text: the layout with its sidebar, sign-in, workflows,
the audit log and refusals. Every value from outside goes through :func:`html.escape`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from bot.app.console.auth import CSRF_FIELD
from bot.domain.audit import ACTIONS, AuditFilter, AuditPage
from bot.domain.console_sessions import Principal
from bot.domain.workflow_store import WorkflowInfo

NAV = (
    ("workflows", "/console/workflows", "Workflows", False),
    ("audit", "/console/audit", "Audit log", True),
)
"""Sidebar entries: key, path, label, admins only."""
CURRENT = ' aria-current="page"'


def document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · relaybot console</title>"
        '<link rel="stylesheet" href="/console/console.css"></head>'
        f"<body>{body}</body></html>"
    )


def csrf_input(token: str) -> str:
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'


def layout(title: str, current: str, who: Principal, content: str) -> str:
    """A page of the signed-in console: skip link, sidebar with navigation, main."""
    links = "".join(
        f'<li><a href="{path}"{CURRENT if key == current else ""}>{label}</a></li>'
        for key, path, label, admins_only in NAV
        if who.account.is_admin or not admins_only
    )
    account = who.account
    body = (
        '<a class="skip" href="#main">Skip to content</a><div class="shell">'
        '<header class="sidebar"><div class="brand">relaybot console</div>'
        f'<nav aria-label="Console"><ul>{links}</ul></nav>'
        f'<div class="whoami"><span>{escape(account.email)}<br>'
        f'<span class="role">{escape(account.role)}</span></span>'
        '<form method="post" action="/console/sign-out">'
        f'{csrf_input(who.csrf_token)}<button class="secondary" type="submit">Sign out</button>'
        "</form></div></header>"
        f'<main id="main" tabindex="-1"><h1>{escape(title)}</h1>{content}</main></div>'
    )
    return document(title, body)


def sign_in_page(token: str, *, email: str = "", next_path: str = "", problem: str = "") -> str:
    notice = f'<p class="notice error" role="alert">{escape(problem)}</p>' if problem else ""
    body = (
        '<main class="sign-in" id="main"><h1>Sign in to relaybot</h1>'
        f'<div class="panel">{notice}<form method="post" action="/console/sign-in">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        '<div class="field"><label for="email">E-mail</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required '
        f'value="{escape(email)}"{"" if email else " autofocus"}></div>'
        '<div class="field"><label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        f'autocomplete="current-password" required{" autofocus" if email else ""}></div>'
        '<button type="submit">Sign in</button></form></div></main>'
    )
    return document("Sign in", body)


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


def _filter_form(where: AuditFilter) -> str:
    options = '<option value="">Any action</option>' + "".join(
        f'<option value="{a}"{" selected" if a == where.action else ""}>{a}</option>'
        for a in ACTIONS
    )
    since = where.since.strftime("%Y-%m-%dT%H:%M") if where.since else ""
    until = where.until.strftime("%Y-%m-%dT%H:%M") if where.until else ""
    return (
        '<form method="get" action="/console/audit" class="filters" role="search" '
        'aria-label="Filter the audit log">'
        '<div class="field"><label for="actor">Actor</label>'
        f'<input id="actor" name="actor" value="{escape(where.actor or "")}" '
        'placeholder="e-mail, cli, U123, api-token"></div>'
        f'<div class="field"><label for="action">Action</label>'
        f'<select id="action" name="action">{options}</select></div>'
        '<div class="field"><label for="since">Since (UTC)</label>'
        f'<input id="since" name="since" type="datetime-local" value="{since}"></div>'
        '<div class="field"><label for="until">Until (UTC)</label>'
        f'<input id="until" name="until" type="datetime-local" value="{until}"></div>'
        '<div class="field"><button type="submit">Filter</button></div></form>'
    )


def audit_page(who: Principal, where: AuditFilter, page: AuditPage) -> str:
    rows = "".join(
        "<tr>"
        f'<td data-label="When"><time datetime="{line.at.isoformat()}">'
        f"{line.at.strftime('%Y-%m-%d %H:%M:%S')}</time></td>"
        f'<td data-label="Actor">{escape(line.actor)}</td>'
        f'<td data-label="Action"><code>{escape(line.action)}</code></td>'
        f'<td data-label="Target">{escape(line.target or "")}</td>'
        f'<td data-label="From">{escape(line.source)}'
        f"{' · ' + escape(line.client_address) if line.client_address else ''}</td>"
        f'<td data-label="Details" class="mono">'
        f"{escape(json.dumps(line.details, sort_keys=True)) if line.details else ''}</td>"
        "</tr>"
        for line in page.lines
    )
    if page.lines:
        table = (
            '<table class="stack"><caption class="visually-hidden">Audit log, newest first'
            "</caption><thead><tr><th>When (UTC)</th><th>Actor</th><th>Action</th>"
            f"<th>Target</th><th>From</th><th>Details</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        table = "<p>No audit lines match.</p>"
    pager = ""
    if page.next_before is not None:
        query = {
            k: v
            for k, v in (
                ("actor", where.actor),
                ("action", where.action),
                ("since", where.since.strftime("%Y-%m-%dT%H:%M") if where.since else None),
                ("until", where.until.strftime("%Y-%m-%dT%H:%M") if where.until else None),
                ("before", str(page.next_before)),
            )
            if v
        }
        pager = f'<p class="pager"><a href="/console/audit?{escape(urlencode(query))}">Older lines</a></p>'
    content = f'{_filter_form(where)}<div class="panel">{table}</div>{pager}'
    return layout("Audit log", "audit", who, content)


def refusal_page(who: Principal | None, status: int, title: str, text: str) -> str:
    content = f'<p class="notice error" role="alert">{escape(text)}</p>'
    if who is None:
        return document(
            title, f'<main class="sign-in" id="main"><h1>{escape(title)}</h1>{content}</main>'
        )
    return layout(
        title, "", who, content + '<p><a href="/console/workflows">Back to workflows</a></p>'
    )
