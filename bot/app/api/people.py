"""/api/contacts, /api/agents, /api/teams."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, EmailStr, Field

from bot.app.api import serialize
from bot.app.api.common import Id, int_param, parse, services_of
from bot.app.console.auth import caller_of
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.storage.app import people_queries
from bot.storage.app.people_queries import AlreadyStored

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
    limit = min(int_param(request, "limit", default=50), 500)
    async with services_of(request).uow() as tx:
        rows = await people_queries.recent_contacts(
            tx, limit=limit, email=request.query.get("email")
        )
        items = [serialize.contact(r) for r in rows]
    return web.json_response({"items": items})


@routes.get("/contacts/{id}")
async def read_contact(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        row = await people_queries.find_contact(tx, int_param(request, "id"))
        if row is None:
            raise NotFoundError("contact not found")
        return web.json_response(serialize.contact(row))


@routes.get("/agents")
async def list_agents(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        items = [serialize.agent(r) for r in await people_queries.all_agents(tx)]
    return web.json_response({"items": items})


@routes.post("/agents")
async def create_agent(request: web.Request) -> web.Response:
    body = await parse(request, AgentBody)
    try:
        async with services_of(request).uow() as tx:
            row = await people_queries.add_agent(
                tx,
                name=body.name,
                email=body.email,
                slack_user_id=body.slack_user_id,
                roles=body.roles,
                available=body.available,
                capacity=body.capacity,
            )
            result = serialize.agent(row)
            await audit.record(
                tx, caller_of(request).actor("api"), audit.AGENT_CREATED, str(row.id), result
            )
    except AlreadyStored as exc:
        raise ValidationFailed("email", "an agent with this e-mail or Slack user exists") from exc
    return web.json_response(result, status=201)


@routes.patch("/agents/{id}")
async def update_agent(request: web.Request) -> web.Response:
    body = await parse(request, AgentPatch)
    async with services_of(request).uow() as tx:
        row = await people_queries.update_agent(
            tx,
            int_param(request, "id"),
            available=body.available,
            capacity=body.capacity,
            roles=body.roles,
        )
        if row is None:
            raise NotFoundError("agent not found")
        result = serialize.agent(row)
        changes = body.model_dump(exclude_none=True)
        await audit.record(
            tx, caller_of(request).actor("api"), audit.AGENT_CHANGED, str(row.id), changes
        )
    return web.json_response(result)


@routes.get("/teams")
async def list_teams(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        teams = await people_queries.teams_with_members(tx)
        items = [serialize.team(team, members) for team, members in teams]
    return web.json_response({"items": items})


@routes.post("/teams")
async def create_team(request: web.Request) -> web.Response:
    body = await parse(request, TeamBody)
    try:
        async with services_of(request).uow() as tx:
            row = await people_queries.add_team(tx, body.name, body.slack_channel)
            result = serialize.team(row, [])
    except AlreadyStored as exc:
        raise ValidationFailed("name", "a team with this name exists") from exc
    return web.json_response(result, status=201)


@routes.post("/teams/{id}/members")
async def add_member(request: web.Request) -> web.Response:
    body = await parse(request, MemberBody)
    team_id = int_param(request, "id")
    async with services_of(request).uow() as tx:
        if not await people_queries.team_exists(tx, team_id):
            raise NotFoundError("team not found")
        if not await people_queries.agent_exists(tx, body.agent_id):
            raise ValidationFailed("agent_id", f"no agent {body.agent_id}")
        added = await people_queries.add_team_member(tx, team_id, body.agent_id)
    return web.json_response({"changed": added})
