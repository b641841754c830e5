"""/api/contacts, /api/agents, /api/teams."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.app.api import serialize
from bot.app.api.common import Id, int_param, parse, services_of
from bot.core.errors import NotFoundError, ValidationFailed
from bot.storage.models import Agent, Contact, Team, TeamMember
from bot.storage.sql import upsert_ignore

routes = web.RouteTableDef()


class AgentBody(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: EmailStr | None = None
    slack_user_id: str | None = Field(None, pattern=r"^[UW][A-Z0-9]+$")
    roles: list[str] = Field(default_factory=list)
    available: bool = True
    capacity: int = Field(10, ge=0, le=10000)


class AgentPatch(BaseModel):
    available: bool | None = None
    capacity: int | None = Field(None, ge=0, le=10000)
    roles: list[str] | None = None


class TeamBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    slack_channel: str | None = None


class MemberBody(BaseModel):
    agent_id: Id


@routes.get("/contacts")
async def list_contacts(request: web.Request) -> web.Response:
    query = (
        select(Contact)
        .order_by(Contact.id.desc())
        .limit(min(int_param(request, "limit", default=50), 500))
    )
    if "email" in request.query:
        query = query.where(Contact.email == request.query["email"])
    async with services_of(request).uow() as tx:
        items = [serialize.contact(r) for r in await tx.session.scalars(query)]
    return web.json_response({"items": items})


@routes.get("/contacts/{id}")
async def read_contact(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        row = await tx.session.get(Contact, int_param(request, "id"))
        if row is None:
            raise NotFoundError("contact not found")
        return web.json_response(serialize.contact(row))


@routes.get("/agents")
async def list_agents(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        items = [
            serialize.agent(r) for r in await tx.session.scalars(select(Agent).order_by(Agent.id))
        ]
    return web.json_response({"items": items})


@routes.post("/agents")
async def create_agent(request: web.Request) -> web.Response:
    body = await parse(request, AgentBody)
    row = Agent(**body.model_dump())
    try:
        async with services_of(request).uow() as tx:
            tx.session.add(row)
            await tx.session.flush()
            result = serialize.agent(row)
    except IntegrityError as exc:
        raise ValidationFailed("email", "an agent with this e-mail or Slack user exists") from exc
    return web.json_response(result, status=201)


@routes.patch("/agents/{id}")
async def update_agent(request: web.Request) -> web.Response:
    body = await parse(request, AgentPatch)
    async with services_of(request).uow() as tx:
        row = await tx.session.get(Agent, int_param(request, "id"))
        if row is None:
            raise NotFoundError("agent not found")
        for name, value in body.model_dump(exclude_none=True).items():
            setattr(row, name, value)
        result = serialize.agent(row)
    return web.json_response(result)


@routes.get("/teams")
async def list_teams(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        teams = list(await tx.session.scalars(select(Team).order_by(Team.id)))
        members = await tx.session.execute(select(TeamMember.team_id, TeamMember.agent_id))
        by_team: dict[int, list[int]] = {}
        for team_id, agent_id in members:
            by_team.setdefault(team_id, []).append(agent_id)
        items = [serialize.team(t, sorted(by_team.get(t.id, []))) for t in teams]
    return web.json_response({"items": items})


@routes.post("/teams")
async def create_team(request: web.Request) -> web.Response:
    body = await parse(request, TeamBody)
    try:
        async with services_of(request).uow() as tx:
            row = Team(name=body.name, slack_channel=body.slack_channel)
            tx.session.add(row)
            await tx.session.flush()
            result = serialize.team(row, [])
    except IntegrityError as exc:
        raise ValidationFailed("name", "a team with this name exists") from exc
    return web.json_response(result, status=201)


@routes.post("/teams/{id}/members")
async def add_member(request: web.Request) -> web.Response:
    body = await parse(request, MemberBody)
    team_id = int_param(request, "id")
    async with services_of(request).uow() as tx:
        if await tx.session.get(Team, team_id) is None:
            raise NotFoundError("team not found")
        if await tx.session.get(Agent, body.agent_id) is None:
            raise ValidationFailed("agent_id", f"no agent {body.agent_id}")
        added = await upsert_ignore(
            tx.session,
            TeamMember,
            {"team_id": team_id, "agent_id": body.agent_id},
            ["team_id", "agent_id"],
        )
    return web.json_response({"changed": added})
