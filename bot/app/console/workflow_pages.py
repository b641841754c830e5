"""The workflows pages: the list (everyone reads, admins switch workflows on and off), one
workflow (graph, YAML, versions; admins roll back) and the diff of two versions."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.app.console import workflow_views
from bot.app.console.auth import caller_of
from bot.app.console.http import (
    Page,
    PageRoute,
    form_text,
    html_response,
    read_form,
    redirect,
    services_of,
    signed_in,
)
from bot.app.console.sign_in_pages import HOME
from bot.core.errors import ValidationFailed
from bot.domain.workflow_store import list_workflows, set_enabled
from bot.domain.workflow_versions import compare, roll_back, version_view, workflow_detail


async def workflows_page(request: web.Request) -> web.StreamResponse:
    services = services_of(request)
    items = await list_workflows(services.uow, services.clock.now())
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
        form = await read_form(request)
        if form is not None and form_text(form, "back") == "workflow":  # from its own page
            return redirect(f"{workflow_views.workflow_path(name)}?{urlencode({'done': word})}")
        return redirect(f"{HOME}?{urlencode({'done': f'{name}:{word}'})}")

    return submit


def _number(raw: str, field: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationFailed(field, "must be a version number")
    return int(raw)


async def workflow_page(request: web.Request) -> web.StreamResponse:
    """The workflow with its current version; with ``?version=N``, that version instead."""
    uow = services_of(request).uow
    detail = await workflow_detail(uow, request.match_info["name"])
    if "version" in request.query:
        number = _number(request.query["version"], "version")
        shown = await version_view(uow, detail.name, number)
        return html_response(workflow_views.version_page(signed_in(request), detail, shown))
    done = request.query.get("rolled_back", "")
    notice = f"v{done} is current now: new runs start on it." if done.isdigit() else ""
    promoted = request.query.get("promoted", "")
    if promoted and done.isdigit():
        notice = f"{promoted} promoted: v{done} has no split there; new runs start on it."
    if request.query.get("done") in {"enabled", "disabled"}:
        notice = f"{detail.name} {request.query['done']}."
    return html_response(workflow_views.workflow_page(signed_in(request), detail, notice))


async def diff_page(request: web.Request) -> web.StreamResponse:
    uow = services_of(request).uow
    detail = await workflow_detail(uow, request.match_info["name"])
    current = detail.current.info.number
    older = [v.number for v in detail.versions if v.number < current]
    old = _number(request.query.get("from", str(older[0] if older else current)), "from")
    new = _number(request.query.get("to", str(current)), "to")
    found = await compare(uow, detail.name, old, new)
    return html_response(workflow_views.diff_page(signed_in(request), detail, found))


async def rollback(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    number = _number(form_text(form, "version") if form is not None else "", "version")
    actor = caller_of(request).actor("console")
    done = await roll_back(services_of(request).uow, request.match_info["name"], number, actor)
    path = workflow_views.workflow_path(done.name)
    return redirect(f"{path}?{urlencode({'rolled_back': done.new})}")


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("POST", "/console/workflows/{name}/enable", toggle(True)),
    PageRoute("POST", "/console/workflows/{name}/disable", toggle(False)),
    PageRoute("POST", "/console/workflows/{name}/rollback", rollback),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/workflows", workflows_page),
    PageRoute("GET", "/console/workflows/{name}", workflow_page),
    PageRoute("GET", "/console/workflows/{name}/diff", diff_page),
)
