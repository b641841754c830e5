"""The console's common HTML: the layout with its sidebar, sign-in and refusals (each
section's pages are in its own ``*_views`` module). Every value from outside goes through
:func:`html.escape`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from bot.app.console.auth import CSRF_FIELD
from bot.domain.console_sessions import Principal

NAV = (
    ("workflows", "/console/workflows", "Workflows", False),
    ("runs", "/console/runs", "Runs", False),
    ("inbox", "/console/inbox", "Inbox", False),
    ("contacts", "/console/contacts", "Contacts", True),
    ("people", "/console/agents", "Agents and teams", True),
    ("audit", "/console/audit", "Audit log", True),
)
"""Sidebar entries: key, path, label, admins only."""
CURRENT = ' aria-current="page"'


def document(title: str, body: str, head: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · relaybot console</title>"
        f'<link rel="stylesheet" href="/console/console.css">{head}</head>'
        f"<body>{body}</body></html>"
    )


def embed_json(element_id: str, value: object) -> str:
    """``value`` as JSON in a ``<script type="application/json">`` a page's script reads
    (``<`` escaped, so no text in it can end the element)."""
    text = json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{escape(element_id)}">{text}</script>'


def csrf_input(token: str) -> str:
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'


def layout(
    title: str, current: str, who: Principal, content: str, scripts: Sequence[str] = ()
) -> str:
    """A page of the signed-in console: skip link, sidebar with navigation, main.

    ``scripts`` names built scripts of ``static/`` (``frontend/src/pages/NAME.js``) the page
    loads; the page carries the session's CSRF token for their API calls."""
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
    head = f'<meta name="csrf-token" content="{escape(who.csrf_token)}">' + "".join(
        f'<script src="/console/static/{escape(name)}.js" defer></script>' for name in scripts
    )
    return document(title, body, head)


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


def refusal_page(who: Principal | None, status: int, title: str, text: str) -> str:
    content = f'<p class="notice error" role="alert">{escape(text)}</p>'
    if who is None:
        return document(
            title, f'<main class="sign-in" id="main"><h1>{escape(title)}</h1>{content}</main>'
        )
    return layout(
        title, "", who, content + '<p><a href="/console/workflows">Back to workflows</a></p>'
    )
