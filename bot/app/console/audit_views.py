"""The audit log page as HTML text."""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlencode

from bot.app.console.views import layout
from bot.domain.audit import ACTIONS, AuditFilter, AuditPage
from bot.domain.console_sessions import Principal


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
