"""The workflow builder (admins): start a workflow from a trigger or an example, edit its
draft (problems and graph as you type, replay, preview chat), discard it or publish it."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from aiohttp import web

from bot.app.console import builder_views
from bot.app.console.auth import caller_of
from bot.app.console.builder_views import Editor, edit_path
from bot.app.console.http import (
    PageRoute,
    form_text,
    html_response,
    read_form,
    redirect,
    services_of,
    signed_in,
)
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain.workflow_drafts import (
    MAX_CHARS,
    DraftHasProblems,
    chart_data,
    check,
    check_name,
    discard_draft,
    example_names,
    from_example,
    from_trigger,
    publish,
    read_draft,
    save_draft,
)
from bot.domain.workflow_replay import MAX_RUNS, replay_last
from bot.domain.workflow_versions import workflow_detail
from bot.storage.uow import UnitOfWork
from workflows.event_names import TRIGGER_EVENTS


async def _current(uow: UnitOfWork, name: str) -> tuple[int, str] | None:
    """The current version of workflow ``name`` and its YAML (None when there is none)."""
    try:
        detail = await workflow_detail(uow, name)
    except NotFoundError:
        return None
    return detail.current.info.number, detail.current.yaml


def _notice(query: dict[str, str]) -> str:
    if query.get("published", "").isdigit():
        done = f"Published v{query['published']}: new runs start on it."
        moved, stayed = query.get("moved", "0"), query.get("stayed", "0")
        if moved == stayed == "0":
            return done
        return f"{done} Waiting runs moved to it: {moved}; stayed on their version: {stayed}."
    if query.get("saved") == "1":
        return "Draft saved."
    if query.get("discarded") == "1":
        return "Draft discarded: this is the current version."
    return ""


def _last(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_RUNS:
        raise ValidationFailed("replay", f"a number of runs from 1 to {MAX_RUNS}")
    return int(raw)


async def _editor(request: web.Request, *, error: str = "") -> Editor:
    services = services_of(request)
    name = check_name(request.match_info["name"])
    draft = await read_draft(services.uow, name)
    current = await _current(services.uow, name)
    if draft is None and current is None:
        raise NotFoundError(f"no workflow or draft named {name!r}")
    text = draft.yaml if draft is not None else current[1] if current else ""
    workflow, problems = check(text, name)
    editor = Editor(
        name=name,
        yaml=text,
        draft=draft,
        current=current[0] if current else None,
        problems=problems,
        chart=None if workflow is None else chart_data(workflow),
        notice=_notice(dict(request.query)),
        error=error,
    )
    if "replay" not in request.query:
        return editor
    last = _last(request.query["replay"])
    if workflow is None or problems:
        return replace(editor, error="Fix the problems before replaying the draft.", last=last)
    report = await replay_last(services.uow, workflow, last, services.clock.now())
    return replace(editor, replay=report, last=last)


async def edit_page(request: web.Request) -> web.StreamResponse:
    editor = await _editor(request)
    return html_response(builder_views.editor_page(signed_in(request), editor))


async def edit_submit(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    text = form_text(form, "yaml", MAX_CHARS + 1) if form is not None else ""
    name = request.match_info["name"]
    actor = caller_of(request).actor("console")
    await save_draft(services_of(request).uow, name, text.replace("\r\n", "\n"), actor)
    return redirect(f"{edit_path(name)}?saved=1")


async def discard_submit(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    uow = services_of(request).uow
    if not await discard_draft(uow, name):
        raise NotFoundError(f"no draft of {name!r}")
    if await _current(uow, name) is None:
        return redirect("/console/workflows")
    return redirect(f"{edit_path(name)}?discarded=1")


async def publish_submit(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    choice = (form_text(form, "in_flight", 16) if form is not None else "") or "finish"
    if choice not in ("finish", "move"):
        raise ValidationFailed("in_flight", "finish or move")
    name = request.match_info["name"]
    actor = caller_of(request).actor("console")
    try:
        done = await publish(
            services_of(request).uow, name, "move" if choice == "move" else "finish", actor
        )
    except DraftHasProblems as exc:
        editor = await _editor(request, error=f"Not published: {exc.reason}")
        return html_response(builder_views.editor_page(signed_in(request), editor), 400)
    query = {"published": done.version, "moved": done.moved, "stayed": done.stayed}
    return redirect(f"{edit_path(name)}?{urlencode(query)}")


def _new(request: web.Request, error: str = "", name: str = "", status: int = 200) -> web.Response:
    page = builder_views.new_page(
        signed_in(request), sorted(TRIGGER_EVENTS), example_names(), error=error, name=name
    )
    return html_response(page, status)


async def new_page(request: web.Request) -> web.StreamResponse:
    return _new(request)


async def _free(uow: UnitOfWork, name: str) -> None:
    """Refuse a bad name, or one a workflow or a draft has already."""
    check_name(name)
    if await _current(uow, name) is not None or await read_draft(uow, name) is not None:
        raise ValidationFailed("name", f"{name!r} exists already: open it to edit it")


async def new_submit(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    if form is None:
        raise ValidationFailed("form", "unreadable")
    name = form_text(form, "name", 200).strip()
    uow = services_of(request).uow
    try:
        await _free(uow, name)
        if form_text(form, "start") == "example":
            text = from_example(name, form_text(form, "example", 200))
        else:
            text = from_trigger(name, form_text(form, "trigger", 200))
    except ValidationFailed as exc:
        return _new(request, f"{exc.field}: {exc.reason}", name, 400)
    await save_draft(uow, name, text, caller_of(request).actor("console"))
    return redirect(edit_path(name))


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/workflows/new", new_page),
    PageRoute("POST", "/console/workflows/new", new_submit),
    PageRoute("GET", "/console/workflows/{name}/edit", edit_page),
    PageRoute("POST", "/console/workflows/{name}/edit", edit_submit),
    PageRoute("POST", "/console/workflows/{name}/edit/discard", discard_submit),
    PageRoute("POST", "/console/workflows/{name}/publish", publish_submit),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = ()
