"""The inbox pages as HTML text (a row and a message drawn from their JSON shapes,
:mod:`bot.app.console.inbox_shapes`, as the page's script draws them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from bot.app.console.inbox_shapes import message_data, row_data
from bot.app.console.views import csrf_input, embed_json, layout
from bot.domain.console_sessions import Principal
from bot.storage.app.conversation_queries import MessageView
from bot.storage.app.inbox_queries import InboxRow, Person

STATUSES = (("open", "Open"), ("closed", "Closed"), ("all", "All"))


def _time(value: str) -> str:
    shown = value[:16].replace("T", " ")
    return f'<time datetime="{escape(value)}">{escape(shown)} UTC</time>'


def _tags(tags: Sequence[str]) -> str:
    return " ".join(f'<span class="tag">{escape(t)}</span>' for t in tags)


def _status(status: str) -> str:
    css = "state-on" if status == "open" else "state-off"
    return f'<span class="{css}">{escape(status.capitalize())}</span>'


def _row(data: Mapping[str, Any]) -> str:
    assignee = (
        escape(data["assignee"]) if data["assignee"] else '<span class="muted">Unassigned</span>'
    )
    if data["team"]:
        assignee += f'<br><span class="muted">Team {escape(data["team"])}</span>'
    return (
        f'<tr data-id="{data["id"]}">'
        f'<td data-label="Contact"><a href="/console/inbox/{data["id"]}">{escape(data["contact"])}</a></td>'
        f'<td data-label="Channel">{escape(data["channel"])}</td>'
        f'<td data-label="Last message" class="preview">{escape(data["preview"])}</td>'
        f'<td data-label="Status">{_status(data["status"])}</td>'
        f'<td data-label="Assignee">{assignee}</td>'
        f'<td data-label="Tags">{_tags(data["tags"])}</td>'
        f'<td data-label="Time">{_time(data["last_activity_at"])}</td></tr>'
    )


def _options(choices: Sequence[tuple[str, str]], chosen: str) -> str:
    return "".join(
        f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(label)}</option>'
        for value, label in choices
    )


def _select(name: str, label: str, choices: Sequence[tuple[str, str]], chosen: str) -> str:
    return (
        f'<div class="field"><label for="f-{name}">{label}</label>'
        f'<select id="f-{name}" name="{name}">{_options(choices, chosen)}</select></div>'
    )


NOTIFY = (
    '<div class="notify-bar"><button type="button" class="secondary" id="notify-on" hidden>'
    "Turn on desktop notifications</button>"
    '<span id="live-status" role="status" class="muted"></span></div>'
)


@dataclass(frozen=True)
class ListPage:
    """What the list page shows: its rows and filters (as given in the query)."""

    rows: Sequence[InboxRow]
    filters: Mapping[str, str]
    channels: Sequence[str]
    tags: Sequence[str]
    agents: Sequence[Person]
    page: int
    more: bool
    after: int


def inbox_page(who: Principal, view: ListPage) -> str:
    chosen = view.filters
    assignees = [("any", "Anyone"), ("unassigned", "Unassigned")]
    if who.account.agent_id is not None:
        assignees.insert(1, ("me", "Me"))
    assignees += [(str(a.id), a.name) for a in view.agents]
    form = (
        '<form method="get" action="/console/inbox" class="filters" aria-label="Filters">'
        + _select("status", "Status", STATUSES, chosen.get("status", "open"))
        + _select(
            "channel",
            "Channel",
            [("", "Any channel"), *((c, c) for c in view.channels)],
            chosen.get("channel", ""),
        )
        + _select(
            "tag", "Tag", [("", "Any tag"), *((t, t) for t in view.tags)], chosen.get("tag", "")
        )
        + _select("assignee", "Assignee", assignees, chosen.get("assignee", "any"))
        + '<div class="field"><button type="submit">Filter</button></div></form>'
    )
    rows = "".join(_row(row_data(r)) for r in view.rows)
    empty = "" if view.rows else '<p id="inbox-empty">No conversations match these filters.</p>'
    table = (
        '<table class="stack inbox-list"><caption class="visually-hidden">Conversations</caption>'
        "<thead><tr><th>Contact</th><th>Channel</th><th>Last message</th><th>Status</th>"
        f'<th>Assignee</th><th>Tags</th><th>Time</th></tr></thead><tbody id="inbox-rows">{rows}</tbody></table>'
    )
    pager = []
    query = {k: v for k, v in chosen.items() if v}
    if view.page > 1:
        pager.append(
            f'<a href="/console/inbox?{escape(urlencode({**query, "page": view.page - 1}))}">Newer</a>'
        )
    if view.more:
        pager.append(
            f'<a href="/console/inbox?{escape(urlencode({**query, "page": view.page + 1}))}">Older</a>'
        )
    nav = f'<nav class="pager" aria-label="Pages">{" · ".join(pager)}</nav>' if pager else ""
    data = {
        "me": who.account.agent_id,
        "filters": {**chosen},
        "after": view.after,
        "page": view.page,
    }
    content = (
        NOTIFY
        + form
        + f'<div class="panel">{table}{empty}</div>{nav}'
        + embed_json("inbox-data", data)
    )
    return layout("Inbox", "inbox", who, content, scripts=("inbox",))


@dataclass(frozen=True)
class ConversationPage:
    """What one conversation's page shows."""

    row: InboxRow
    messages: Sequence[MessageView]
    agents: Sequence[Person]
    teams: Sequence[Person]
    after: int
    notice: str = ""


def _message(data: Mapping[str, Any]) -> str:
    status = f' <span class="muted">({escape(data["status"])})</span>' if data["status"] else ""
    return (
        f'<li class="msg msg--{data["kind"]}" data-id="{data["id"]}">'
        f'<div class="msg-head"><strong>{escape(data["author"])}</strong> '
        f"{_time(data['created_at'])}{status}</div>"
        f'<div class="msg-text">{escape(data["text"])}</div></li>'
    )


def _button_form(who: Principal, action: str, label: str, css: str = "secondary") -> str:
    return (
        f'<form method="post" action="{escape(action)}">{csrf_input(who.csrf_token)}'
        f'<button type="submit" class="{css}">{escape(label)}</button></form>'
    )


def _text_form(who: Principal, action: str, name: str, label: str, button: str) -> str:
    return (
        f'<form method="post" action="{escape(action)}" class="compose">{csrf_input(who.csrf_token)}'
        f'<label for="{name}">{escape(label)}</label>'
        f'<textarea id="{name}" name="text" rows="3" maxlength="4096" required></textarea>'
        f'<button type="submit">{escape(button)}</button></form>'
    )


def _actions(who: Principal, view: ConversationPage) -> str:
    row, base = view.row, f"/console/inbox/{view.row.id}"
    me = who.account.agent_id
    parts = []
    may_claim = row.assignee_id is None or (row.assignee_id != me and who.account.is_admin)
    if may_claim and me is not None:
        parts.append(_button_form(who, f"{base}/claim", "Claim (assign to me)", ""))
    if row.assignee_id is not None and (row.assignee_id == me or who.account.is_admin):
        parts.append(_button_form(who, f"{base}/release", "Release (unassign)"))
    if row.status == "closed":
        parts.append(_button_form(who, f"{base}/reopen", "Reopen"))
    else:
        parts.append(_button_form(who, f"{base}/close", "Close", "danger"))
    html = f'<div class="inbox-actions">{"".join(parts)}</div>'
    if who.account.is_admin:
        choices = [("", "Nobody")] + [(f"agent:{a.id}", a.name) for a in view.agents]
        choices += [(f"team:{t.id}", f"Team {t.name}") for t in view.teams]
        current = (
            f"agent:{row.assignee_id}"
            if row.assignee_id
            else f"team:{row.team_id}"
            if row.team_id
            else ""
        )
        html += (
            f'<form method="post" action="{base}/assign" class="inline-form">{csrf_input(who.csrf_token)}'
            f'<label for="assign-to">Assign to</label><select id="assign-to" name="to">'
            f"{_options(choices, current)}</select>"
            '<button type="submit" class="secondary">Assign</button></form>'
        )
    tags = "".join(
        f'<li><span class="tag">{escape(t)}</span><form method="post" action="{base}/tags/remove">'
        f'{csrf_input(who.csrf_token)}<input type="hidden" name="tag" value="{escape(t)}">'
        f'<button type="submit" class="secondary small">Remove<span class="visually-hidden"> tag {escape(t)}</span></button></form></li>'
        for t in row.tags
    )
    html += (
        f'<h3>Tags</h3><ul class="tag-list" id="tag-list">{tags}</ul>'
        f'<form method="post" action="{base}/tags" class="inline-form">{csrf_input(who.csrf_token)}'
        '<label for="new-tag">New tag</label><input id="new-tag" name="tag" maxlength="120" required>'
        '<button type="submit" class="secondary">Add tag</button></form>'
    )
    return html


def conversation_page(who: Principal, view: ConversationPage) -> str:
    row = view.row
    names = {a.id: a.name for a in view.agents}
    data = row_data(row)
    facts = (
        '<dl class="conversation-facts">'
        f"<div><dt>Channel</dt><dd>{escape(row.channel)}</dd></div>"
        f'<div><dt>Status</dt><dd id="fact-status">{_status(row.status)}</dd></div>'
        f'<div><dt>Assignee</dt><dd id="fact-assignee">{escape(row.assignee_name or "Unassigned")}</dd></div>'
        f'<div><dt>Team</dt><dd id="fact-team">{escape(row.team_name or "None")}</dd></div>'
        f'<div><dt>Tags</dt><dd id="fact-tags">{_tags(row.tags) or "None"}</dd></div></dl>'
    )
    notice = f'<p class="notice" role="status">{escape(view.notice)}</p>' if view.notice else ""
    messages = "".join(_message(message_data(m, names)) for m in view.messages)
    transcript = (
        '<section class="panel" aria-labelledby="transcript-title">'
        '<h2 id="transcript-title">Conversation</h2>'
        f'<ol class="transcript" id="transcript" tabindex="0" aria-labelledby="transcript-title"'
        f' aria-live="polite">{messages}</ol></section>'
    )
    base = f"/console/inbox/{row.id}"
    compose = (
        '<section class="panel compose-panel" aria-label="Write">'
        + _text_form(who, f"{base}/reply", "reply-text", "Reply to the customer", "Send reply")
        + _text_form(
            who, f"{base}/note", "note-text", "Internal note (only agents see it)", "Add note"
        )
        + "</section>"
    )
    side = (
        f'<section class="panel" aria-label="Conversation actions">{_actions(who, view)}</section>'
    )
    page_data = {
        "me": who.account.agent_id,
        "conversation": data,
        "after": view.after,
    }
    content = (
        '<p><a href="/console/inbox">Back to the inbox</a></p>'
        + NOTIFY
        + notice
        + facts
        + f'<div class="conversation-layout"><div>{transcript}{compose}</div>{side}</div>'
        + embed_json("inbox-data", page_data)
    )
    return layout(f"Conversation with {data['contact']}", "inbox", who, content, scripts=("inbox",))
