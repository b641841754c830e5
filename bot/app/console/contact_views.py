"""The contacts pages as HTML text: the searchable list and one contact (profile,
identities, conversations, leads, export and erase)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from bot.app.console.views import csrf_input, layout
from bot.domain.console_sessions import Principal
from bot.domain.contact_names import display_name
from bot.storage.app.people_queries import (
    ContactConversation,
    ContactLead,
    ContactView,
    IdentityView,
)


def _when(at: datetime | None) -> str:
    if at is None:
        return ""
    return f'<time datetime="{at.isoformat()}">{at.strftime("%Y-%m-%d %H:%M")}</time>'


def _name(contact: ContactView) -> str:
    if contact.erased_at is not None:
        return f"Erased contact #{contact.id}"
    return display_name(contact)


def contacts_page(
    who: Principal, items: Sequence[ContactView], search: str, page: int, more: bool
) -> str:
    form = (
        '<form method="get" action="/console/contacts" class="filters" role="search" '
        'aria-label="Search contacts">'
        '<div class="field"><label for="q">Name, e-mail or phone</label>'
        f'<input id="q" name="q" type="search" value="{escape(search)}"></div>'
        '<div class="field"><button type="submit">Search</button></div></form>'
    )
    rows = "".join(
        "<tr>"
        f'<td data-label="Name"><a href="/console/contacts/{c.id}">{escape(_name(c))}</a></td>'
        f'<td data-label="E-mail">{escape(c.email or "")}</td>'
        f'<td data-label="Phone">{escape(c.phone or "")}</td>'
        f'<td data-label="Since">{_when(c.created_at)}</td>'
        f'<td data-label="Status">{"Erased" if c.erased_at else ""}</td>'
        "</tr>"
        for c in items
    )
    if items:
        table = (
            '<table class="stack"><caption class="visually-hidden">Contacts, newest first'
            "</caption><thead><tr><th>Name</th><th>E-mail</th><th>Phone</th>"
            f"<th>Since (UTC)</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        table = "<p>No contacts match.</p>" if search else "<p>No contacts yet.</p>"
    links = []
    if page > 1:
        links.append(f'<a href="/console/contacts?{_query(search, page - 1)}">Newer contacts</a>')
    if more:
        links.append(f'<a href="/console/contacts?{_query(search, page + 1)}">Older contacts</a>')
    pager = f'<p class="pager">{" · ".join(links)}</p>' if links else ""
    return layout("Contacts", "contacts", who, f'{form}<div class="panel">{table}</div>{pager}')


def _query(search: str, page: int) -> str:
    values = {"q": search} if search else {}
    return escape(urlencode(values | {"page": str(page)}))


def _value(value: Any) -> str:
    return escape(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


def _profile(contact: ContactView) -> str:
    facts = [
        ("Name", escape(contact.name or "")),
        ("E-mail", escape(contact.email or "")),
        ("Phone", escape(contact.phone or "")),
        ("Locale", escape(contact.locale or "")),
        ("Contact since", _when(contact.created_at)),
    ]
    if contact.unreachable:
        facts.append(("Reachable", "No: the last message to them could not be delivered"))
    facts += [(escape(str(k)), _value(v)) for k, v in sorted(contact.attributes.items())]
    items = "".join(f"<dt>{k}</dt><dd>{v or '—'}</dd>" for k, v in facts)
    return f'<section class="panel" aria-labelledby="profile"><h2 id="profile">Profile</h2><dl class="contact-facts">{items}</dl></section>'


def _identities(identities: Sequence[IdentityView]) -> str:
    if not identities:
        return ""
    rows = "".join(
        "<tr>"
        f'<td data-label="Channel">{escape(i.channel)}</td>'
        f'<td data-label="Id" class="mono">{escape(i.external_id)}</td>'
        f'<td data-label="Profile" class="mono">'
        f"{escape(json.dumps(i.profile, sort_keys=True, ensure_ascii=False)) if i.profile else ''}"
        "</td>"
        f'<td data-label="Since">{_when(i.created_at)}</td>'
        "</tr>"
        for i in identities
    )
    return (
        '<section class="panel" aria-labelledby="identities"><h2 id="identities">Identities</h2>'
        '<table class="stack"><thead><tr><th>Channel</th><th>Id</th><th>Profile</th>'
        f"<th>Since (UTC)</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _conversations(items: Sequence[ContactConversation]) -> str:
    if not items:
        body = "<p>No conversations.</p>"
    else:
        rows = "".join(
            "<tr>"
            f'<td data-label="Conversation"><a href="/console/inbox/{c.id}">#{c.id}</a></td>'
            f'<td data-label="Channel">{escape(c.channel)}</td>'
            f'<td data-label="Status">{escape(c.status)}</td>'
            f'<td data-label="Messages">{c.message_count}</td>'
            f'<td data-label="Last activity">{_when(c.last_activity_at)}</td>'
            "</tr>"
            for c in items
        )
        body = (
            '<table class="stack"><thead><tr><th>Conversation</th><th>Channel</th>'
            "<th>Status</th><th>Messages</th><th>Last activity (UTC)</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        '<section class="panel" aria-labelledby="conversations">'
        f'<h2 id="conversations">Conversations</h2>{body}</section>'
    )


def _leads(items: Sequence[ContactLead]) -> str:
    if not items:
        body = "<p>No leads.</p>"
    else:
        rows = "".join(
            "<tr>"
            f'<td data-label="Lead">{escape(lead.name)}</td>'
            f'<td data-label="Stage"><span class="stage">{escape(lead.stage)}</span></td>'
            f'<td data-label="Amount">'
            f"{escape(f'{lead.expected_amount} {lead.currency}') if lead.expected_amount else ''}"
            "</td>"
            f'<td data-label="Created">{_when(lead.created_at)}</td>'
            "</tr>"
            for lead in items
        )
        body = (
            '<table class="stack"><thead><tr><th>Lead</th><th>Stage</th><th>Amount</th>'
            f"<th>Created (UTC)</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return (
        f'<section class="panel" aria-labelledby="leads"><h2 id="leads">Leads</h2>{body}</section>'
    )


def _privacy(who: Principal, contact: ContactView) -> str:
    if contact.erased_at is not None:
        return ""
    path = f"/console/contacts/{contact.id}"
    return (
        '<section class="panel danger-zone" aria-labelledby="privacy">'
        '<h2 id="privacy">Export and erase</h2>'
        "<p>The export is a JSON file of everything stored about this person: the profile, "
        "identities, conversations with every message, leads, the workflow runs, log lines, "
        "events and outgoing messages of their conversations.</p>"
        f'<form method="post" action="{path}/export">{csrf_input(who.csrf_token)}'
        '<button type="submit">Export as JSON</button></form>'
        "<p>Erasing replaces their name, e-mail, phone, identities, message texts and media, "
        "lead names and every personal value in runs, logs, events and outgoing messages. "
        "Counts, runs, statuses and times stay. It cannot be undone.</p>"
        f'<form method="post" action="{path}/erase" class="erase-form">'
        f"{csrf_input(who.csrf_token)}"
        '<div class="field"><label for="confirm">Type <kbd>ERASE</kbd> or the contact id '
        f"(<kbd>{contact.id}</kbd>) to confirm</label>"
        '<input id="confirm" name="confirm" required autocomplete="off" '
        'aria-describedby="erase-hint"></div>'
        '<p id="erase-hint" class="muted">Open conversations are closed and waiting workflow '
        "runs cancelled; a new message from this person starts a new contact.</p>"
        '<button type="submit" class="danger">Erase personal data</button></form></section>'
    )


def contact_page(
    who: Principal,
    contact: ContactView,
    identities: Sequence[IdentityView],
    conversations: Sequence[ContactConversation],
    leads: Sequence[ContactLead],
    notice: str = "",
) -> str:
    parts = []
    if notice:
        parts.append(f'<p class="notice" role="status">{escape(notice)}</p>')
    if contact.erased_at is not None:
        parts.append(
            '<p class="notice">This contact\'s personal data was erased on '
            f"{_when(contact.erased_at)} (UTC). Its conversations, runs and counts are kept "
            "without personal data; there is nothing left to export.</p>"
        )
    else:
        parts += [_profile(contact), _identities(identities)]
    parts += [_conversations(conversations), _leads(leads), _privacy(who, contact)]
    content = (
        '<p><a href="/console/contacts">All contacts</a></p>'
        f'<div class="contact-sections">{"".join(parts)}</div>'
    )
    return layout(_name(contact), "contacts", who, content)
