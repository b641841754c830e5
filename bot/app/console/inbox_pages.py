"""The inbox: conversations for teams without Slack. The list (filters, pages), one
conversation (transcript, reply, internal note, claim, release, assign, close, reopen,
tags) and the live socket (:mod:`bot.app.console.inbox_live`). Every form posts and
redirects back, so the pages work without JavaScript."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web

from bot.app.console import inbox_views
from bot.app.console.auth import caller_of
from bot.app.console.http import (
    Page,
    PageRoute,
    form_text,
    html_response,
    read_form,
    redirect,
    refuse,
    services_of,
    signed_in,
)
from bot.app.console.inbox_live import live_socket
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import conversations as convs
from bot.domain.conversations import Acting, NotAllowed
from bot.domain.notes import note_as
from bot.domain.replies import reply_as
from bot.storage.app import inbox_queries
from bot.storage.app.conversation_queries import find_conversation
from bot.storage.app.inbox_queries import InboxFilter
from bot.storage.uow import Tx

PAGE_SIZE = 50
TRANSCRIPT = 500
"""The newest messages a conversation page shows."""
DONE = {
    "replied": "Reply sent to the customer's channel.",
    "noted": "Internal note added.",
    "claimed": "The conversation is yours.",
    "released": "The conversation is unassigned.",
    "assigned": "Assignment changed.",
    "closed": "Conversation closed.",
    "reopened": "Conversation reopened.",
    "tagged": "Tag added.",
    "untagged": "Tag removed.",
    "unchanged": "Nothing to change.",
}


def acting(request: web.Request) -> Acting:
    """The signed-in account as the conversation rules see it."""
    caller = caller_of(request)
    account = signed_in(request).account
    return Acting(
        account.agent_id, account.is_admin, f"console:{account.email}", caller.actor("console")
    )


def _filters(request: web.Request) -> tuple[dict[str, str], InboxFilter]:
    """The query's filters as given (for the form) and as the list's filter."""
    query, me = request.query, signed_in(request).account.agent_id
    status = query.get("status", "open")
    if status not in ("open", "closed", "all"):
        raise ValidationFailed("status", "must be open, closed or all")
    chosen = {"status": status}
    for name in ("channel", "tag"):
        if query.get(name):
            chosen[name] = query[name][:120]
    assignee = query.get("assignee", "any") or "any"
    assignee_id: int | None = None
    if assignee == "me":
        assignee_id = me if me is not None else -1
    elif assignee not in ("any", "unassigned"):
        if not assignee.isdigit() or len(assignee) > 18:
            raise ValidationFailed("assignee", "must be any, me, unassigned or an agent's id")
        assignee_id = int(assignee)
    chosen["assignee"] = assignee
    where = InboxFilter(
        status=None if status == "all" else status,
        channel=chosen.get("channel"),
        tag=chosen.get("tag"),
        assignee_id=assignee_id,
        unassigned=assignee == "unassigned",
    )
    return chosen, where


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise ValidationFailed("page", "must be a whole number from 1")
    return int(raw)


async def inbox_page(request: web.Request) -> web.StreamResponse:
    chosen, where = _filters(request)
    page = _page_number(request)
    services = services_of(request)
    async with services.db.read() as session:
        after = await inbox_queries.newest_event_id(session)
        rows = await inbox_queries.inbox_rows(
            session, where, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
        tags = await inbox_queries.tag_names(session)
        agents = await inbox_queries.agents(session)
    channels = sorted({*services.channels, *([chosen["channel"]] if "channel" in chosen else [])})
    view = inbox_views.ListPage(
        rows[:PAGE_SIZE], chosen, channels, tags, agents, page, len(rows) > PAGE_SIZE, after
    )
    return html_response(inbox_views.inbox_page(signed_in(request), view))


def _conversation_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError(f"conversation {raw} not found")
    return int(raw)


async def conversation_page(request: web.Request) -> web.StreamResponse:
    conversation_id = _conversation_id(request)
    async with services_of(request).db.read() as session:
        after = await inbox_queries.newest_event_id(session)
        row = (await inbox_queries.rows_by_id(session, [conversation_id])).get(conversation_id)
        if row is None:
            raise NotFoundError(f"conversation {conversation_id} not found")
        messages = await inbox_queries.transcript(session, conversation_id, TRANSCRIPT)
        agents = await inbox_queries.agents(session)
        teams = await inbox_queries.teams(session)
    view = inbox_views.ConversationPage(
        row, messages, agents, teams, after, DONE.get(request.query.get("done", ""), "")
    )
    return html_response(inbox_views.conversation_page(signed_in(request), view))


Change = Callable[[Tx, int, Acting, web.Request], Awaitable[str]]
"""Makes one change in the transaction; the word of :data:`DONE` to show after."""


def changing(change: Change) -> Page:
    """A form's handler: the change in one transaction, then back to the conversation."""

    async def submit(request: web.Request) -> web.StreamResponse:
        conversation_id = _conversation_id(request)
        try:
            async with services_of(request).uow() as tx:
                done = await change(tx, conversation_id, acting(request), request)
        except NotAllowed as exc:
            return refuse(request, caller_of(request), 403, "Not allowed", exc.reason)
        query = urlencode({"done": done})
        return redirect(f"/console/inbox/{conversation_id}?{query}")

    return submit


async def _text(request: web.Request, name: str = "text", limit: int = 4096) -> str:
    form = await read_form(request)
    text = form_text(form, name, limit + 1).strip() if form is not None else ""
    if not text or len(text) > limit:
        raise ValidationFailed(name, f"must be 1 to {limit} characters")
    return text


async def _reply(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    text = await _text(request)
    conversation = await find_conversation(tx, conversation_id)
    if conversation is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    await reply_as(tx, conversation, who, text)
    return "replied"


async def _note(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    await note_as(tx, conversation_id, who, await _text(request))
    return "noted"


async def _claim(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    return "claimed" if await convs.claim(tx, conversation_id, who) else "unchanged"


async def _release(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    return "released" if await convs.unassign_by(tx, conversation_id, who) else "unchanged"


async def _assign(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    form = await read_form(request)
    target = form_text(form, "to", 40) if form is not None else ""
    kind, _, number = target.partition(":")
    if target and (kind not in ("agent", "team") or not number.isdigit() or len(number) > 18):
        raise ValidationFailed("to", "must be agent:<id>, team:<id> or empty")
    agent_id = int(number) if kind == "agent" else None
    team_id = int(number) if kind == "team" else None
    changed = await convs.assign_by(tx, conversation_id, who, agent_id, team_id)
    return "assigned" if changed else "unchanged"


async def _close(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    return "closed" if await convs.close(tx, conversation_id, by=who.by) else "unchanged"


async def _reopen(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    return "reopened" if await convs.reopen(tx, conversation_id, by=who.by) else "unchanged"


async def _tag(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    tag = await _text(request, "tag", 120)
    return "tagged" if await convs.add_tag(tx, conversation_id, tag, by=who.by) else "unchanged"


async def _untag(tx: Tx, conversation_id: int, who: Acting, request: web.Request) -> str:
    tag = await _text(request, "tag", 120)
    removed = await convs.remove_tag(tx, conversation_id, tag, by=who.by)
    return "untagged" if removed else "unchanged"


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("POST", "/console/inbox/{id}/assign", changing(_assign)),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/inbox", inbox_page),
    PageRoute("GET", "/console/inbox/live", live_socket),
    PageRoute("GET", "/console/inbox/{id}", conversation_page),
    PageRoute("POST", "/console/inbox/{id}/reply", changing(_reply)),
    PageRoute("POST", "/console/inbox/{id}/note", changing(_note)),
    PageRoute("POST", "/console/inbox/{id}/claim", changing(_claim)),
    PageRoute("POST", "/console/inbox/{id}/release", changing(_release)),
    PageRoute("POST", "/console/inbox/{id}/close", changing(_close)),
    PageRoute("POST", "/console/inbox/{id}/reopen", changing(_reopen)),
    PageRoute("POST", "/console/inbox/{id}/tags", changing(_tag)),
    PageRoute("POST", "/console/inbox/{id}/tags/remove", changing(_untag)),
)
