"""The agents and teams pages (admins): agents created and changed, teams created, renamed,
given a Slack channel, members added and removed; every change audited through the same
domain functions as ``/api/agents`` and ``/api/teams``."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.app.api.people import AgentBody, AgentPatch, TeamBody, TeamPatch
from bot.app.console import team_views
from bot.app.console.auth import caller_of
from bot.app.console.http import (
    Form,
    PageRoute,
    form_text,
    html_response,
    read_form,
    redirect,
    services_of,
    signed_in,
)
from bot.core.clean import clean_text
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import agents
from bot.storage.app import people_queries

M = TypeVar("M", bound=BaseModel)
HOME = "/console/agents"
NOTICES = {
    "agent-created": "Agent created.",
    "agent-changed": "Agent saved.",
    "agent-unchanged": "Nothing to change.",
    "team-created": "Team created.",
    "team-changed": "Team saved.",
    "member-added": "Agent added to the team.",
    "member-removed": "Agent removed from the team.",
}


def _id(request: web.Request, name: str = "id") -> int:
    try:
        value = int(request.match_info[name])
    except ValueError as exc:
        raise ValidationFailed(name, "must be a whole number") from exc
    if not 0 <= value < 2**63:
        raise ValidationFailed(name, "is out of range")
    return value


def _done(word: str) -> web.Response:
    return redirect(f"{HOME}?{urlencode({'done': word})}")


def _validated(model: type[M], values: dict[str, Any]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "form"
        raise ValidationFailed(field, first["msg"]) from exc


async def _form(request: web.Request) -> Form:
    form = await read_form(request)
    if form is None:
        raise ValidationFailed("form", "could not be read")
    return form


def _text(form: Form, name: str, limit: int) -> str:
    """A form field, trimmed, with what no column stores (NUL, lone surrogates) replaced."""
    return clean_text(form_text(form, name, limit)).strip()


def _agent_values(form: Form) -> dict[str, Any]:
    """An agent's form as the API's fields ("" is no value)."""
    roles = [r.strip() for r in _text(form, "roles", 1000).split(",") if r.strip()]
    return {
        "name": _text(form, "name", 255),
        "email": _text(form, "email", 320) or None,
        "slack_user_id": _text(form, "slack_user_id", 32) or None,
        "roles": roles,
        "available": form_text(form, "available") == "1",
        "capacity": _text(form, "capacity", 10) or "10",
    }


async def agents_page(request: web.Request) -> web.StreamResponse:
    async with services_of(request).uow() as tx:
        all_agents = await people_queries.all_agents(tx)
        load = await agents.open_load(tx)
        teams = await people_queries.teams_with_members(tx)
    notice = NOTICES.get(request.query.get("done", ""), "")
    return html_response(
        team_views.agents_page(signed_in(request), all_agents, load, teams, notice)
    )


async def create_agent(request: web.Request) -> web.StreamResponse:
    body = _validated(AgentBody, _agent_values(await _form(request)))
    actor = caller_of(request).actor("console")
    await agents.create_agent(services_of(request).uow, actor, body.model_dump())
    return _done("agent-created")


async def change_agent(request: web.Request) -> web.StreamResponse:
    agent_id = _id(request)
    body = _validated(AgentPatch, _agent_values(await _form(request)))
    async with services_of(request).uow() as tx:
        found = [a for a in await people_queries.all_agents(tx) if a.id == agent_id]
    if not found:
        raise NotFoundError(f"agent {agent_id} not found")
    current = found[0]
    changes = {k: v for k, v in body.changes().items() if getattr(current, k) != v}
    if not changes:
        return _done("agent-unchanged")
    actor = caller_of(request).actor("console")
    await agents.change_agent(services_of(request).uow, actor, agent_id, changes)
    return _done("agent-changed")


def _team_values(form: Form) -> dict[str, Any]:
    return {
        "name": _text(form, "name", 120),
        "slack_channel": _text(form, "slack_channel", 64) or None,
    }


async def create_team(request: web.Request) -> web.StreamResponse:
    body = _validated(TeamBody, _team_values(await _form(request)))
    actor = caller_of(request).actor("console")
    await agents.create_team(services_of(request).uow, actor, body.name, body.slack_channel)
    return _done("team-created")


async def change_team(request: web.Request) -> web.StreamResponse:
    team_id = _id(request)
    body = _validated(TeamPatch, _team_values(await _form(request)))
    async with services_of(request).uow() as tx:
        found = [t for t, _ in await people_queries.teams_with_members(tx) if t.id == team_id]
    if not found:
        raise NotFoundError(f"team {team_id} not found")
    changes = {k: v for k, v in body.changes().items() if getattr(found[0], k) != v}
    if changes:
        actor = caller_of(request).actor("console")
        await agents.change_team(services_of(request).uow, actor, team_id, changes)
    return _done("team-changed")


async def add_member(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    try:
        agent_id = int(form_text(form, "agent_id", 20))
    except ValueError as exc:
        raise ValidationFailed("agent_id", "pick an agent") from exc
    actor = caller_of(request).actor("console")
    await agents.set_member(services_of(request).uow, actor, _id(request), agent_id, True)
    return _done("member-added")


async def remove_member(request: web.Request) -> web.StreamResponse:
    actor = caller_of(request).actor("console")
    await agents.set_member(
        services_of(request).uow, actor, _id(request), _id(request, "agent_id"), False
    )
    return _done("member-removed")


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/agents", agents_page),
    PageRoute("POST", "/console/agents", create_agent),
    PageRoute("POST", "/console/agents/{id}", change_agent),
    PageRoute("POST", "/console/teams", create_team),
    PageRoute("POST", "/console/teams/{id}", change_team),
    PageRoute("POST", "/console/teams/{id}/members", add_member),
    PageRoute("POST", "/console/teams/{id}/members/{agent_id}/remove", remove_member),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = ()
