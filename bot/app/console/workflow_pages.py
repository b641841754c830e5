"""The workflows pages: the list (everyone reads, admins switch workflows on and off)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.app.console import workflow_views
from bot.app.console.auth import caller_of
from bot.app.console.http import Page, PageRoute, html_response, redirect, services_of, signed_in
from bot.app.console.sign_in_pages import HOME
from bot.domain.workflow_store import list_workflows, set_enabled


async def workflows_page(request: web.Request) -> web.StreamResponse:
    items = await list_workflows(services_of(request).uow)
    done = request.query.get("done", "")
    notice = ""
    name, _, word = done.rpartition(":")
    if name and word in {"enabled", "disabled"} and any(w.name == name for w in items):
        notice = f"{name} {word}."
    return html_response(workflow_views.workflows_page(signed_in(request), items, notice))


def toggle(enabled: bool) -> Page:
    async def submit(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        actor = caller_of(request).actor("console")
        await set_enabled(services_of(request).uow, name, enabled, actor)
        word = "enabled" if enabled else "disabled"
        return redirect(f"{HOME}?{urlencode({'done': f'{name}:{word}'})}")

    return submit


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("POST", "/console/workflows/{name}/enable", toggle(True)),
    PageRoute("POST", "/console/workflows/{name}/disable", toggle(False)),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = (PageRoute("GET", "/console/workflows", workflows_page),)
