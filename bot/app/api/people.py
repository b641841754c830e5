"""/api/contacts (with export and erase), /api/agents, /api/teams (admins only)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, EmailStr, Field

from bot.app.api import serialize
from bot.app.api.common import Id, int_param, parse, services_of
from bot.app.api.spec import CSRF, error_responses, json_body, ok, query
from bot.app.console.auth import caller_of
from bot.core.errors import NotFoundError
from bot.domain import agents, contact_privacy
from bot.storage.app import people_queries
from bot.storage.app.people_queries import ContactView

routes = web.RouteTableDef()
SLACK_USER = r"^[UW][A-Z0-9]+$"
SLACK_CHANNEL = r"^#?[A-Za-z0-9][A-Za-z0-9_.-]*$"


class AgentBody(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: EmailStr | None = None
    slack_user_id: str | None = Field(None, pattern=SLACK_USER)
    roles: list[str] = Field(default_factory=list)
    available: bool = True
    capacity: int = Field(10, ge=0, le=10000)


class AgentPatch(BaseModel):
    """The fields to change; ``email`` and ``slack_user_id`` given as null are cleared."""

    name: str | None = Field(None, min_length=1, max_length=255)
    email: EmailStr | None = None
    slack_user_id: str | None = Field(None, pattern=SLACK_USER)
    available: bool | None = None
    capacity: int | None = Field(None, ge=0, le=10000)
    roles: list[str] | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(include=self.model_fields_set)
        return {k: v for k, v in given.items() if v is not None or k in ("email", "slack_user_id")}


class TeamBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    slack_channel: str | None = Field(None, max_length=64, pattern=SLACK_CHANNEL)


class TeamPatch(BaseModel):
    """The fields to change; ``slack_channel`` given as null is cleared."""

    name: str | None = Field(None, min_length=1, max_length=120)
    slack_channel: str | None = Field(None, max_length=64, pattern=SLACK_CHANNEL)

    def changes(self) -> dict[str, str | None]:
        given = self.model_dump(include=self.model_fields_set)
        return {k: v for k, v in given.items() if v is not None or k == "slack_channel"}


class MemberBody(BaseModel):
    agent_id: Id


class EraseBody(BaseModel):
    confirm: str = Field(max_length=40)


def contact_json(row: ContactView) -> dict[str, Any]:
    return serialize.contact(row) | {
        "erased_at": None if row.erased_at is None else row.erased_at.isoformat()
    }


@routes.get("/contacts")
async def list_contacts(request: web.Request) -> web.Response:
    limit = min(int_param(request, "limit", default=50), 500)
    offset = int_param(request, "offset", default=0)
    async with services_of(request).uow() as tx:
        if "email" in request.query:
            rows = await people_queries.recent_contacts(
                tx, limit=limit, email=request.query["email"]
            )
        else:
            rows = await people_queries.search_contacts(
                tx, request.query.get("q", ""), limit=limit, offset=offset
            )
        items = [contact_json(r) for r in rows]
    return web.json_response({"items": items})


@routes.get("/contacts/{id}")
async def read_contact(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        row = await people_queries.find_contact(tx, int_param(request, "id"))
        if row is None:
            raise NotFoundError("contact not found")
        return web.json_response(contact_json(row))


def export_response(contact_id: int, document: dict[str, Any]) -> web.Response:
    """The export as a JSON download."""
    return web.Response(
        text=json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="contact-{contact_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/contacts/{id}/export")
async def export_contact(request: web.Request) -> web.Response:
    contact_id = int_param(request, "id")
    document = await contact_privacy.export(
        services_of(request).uow, contact_id, caller_of(request).actor("api")
    )
    return export_response(contact_id, document)


@routes.post("/contacts/{id}/erase")
async def erase_contact(request: web.Request) -> web.Response:
    contact_id = int_param(request, "id")
    body = await parse(request, EraseBody)
    erased = await contact_privacy.erase(
        services_of(request).uow, contact_id, caller_of(request).actor("api"), body.confirm
    )
    return web.json_response({"id": contact_id, "erased": vars(erased)})


@routes.get("/agents")
async def list_agents(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        items = [serialize.agent(r) for r in await people_queries.all_agents(tx)]
    return web.json_response({"items": items})


@routes.post("/agents")
async def create_agent(request: web.Request) -> web.Response:
    body = await parse(request, AgentBody)
    row = await agents.create_agent(
        services_of(request).uow, caller_of(request).actor("api"), body.model_dump()
    )
    return web.json_response(serialize.agent(row), status=201)


@routes.patch("/agents/{id}")
async def update_agent(request: web.Request) -> web.Response:
    body = await parse(request, AgentPatch)
    row = await agents.change_agent(
        services_of(request).uow,
        caller_of(request).actor("api"),
        int_param(request, "id"),
        body.changes(),
    )
    return web.json_response(serialize.agent(row))


@routes.get("/teams")
async def list_teams(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        teams = await people_queries.teams_with_members(tx)
        items = [serialize.team(team, members) for team, members in teams]
    return web.json_response({"items": items})


@routes.post("/teams")
async def create_team(request: web.Request) -> web.Response:
    body = await parse(request, TeamBody)
    row = await agents.create_team(
        services_of(request).uow, caller_of(request).actor("api"), body.name, body.slack_channel
    )
    return web.json_response(serialize.team(row, []), status=201)


@routes.patch("/teams/{id}")
async def update_team(request: web.Request) -> web.Response:
    body = await parse(request, TeamPatch)
    team_id = int_param(request, "id")
    row = await agents.change_team(
        services_of(request).uow, caller_of(request).actor("api"), team_id, body.changes()
    )
    async with services_of(request).uow() as tx:
        members = dict((t.id, m) for t, m in await people_queries.teams_with_members(tx))
    return web.json_response(serialize.team(row, members.get(team_id, [])))


@routes.post("/teams/{id}/members")
async def add_member(request: web.Request) -> web.Response:
    body = await parse(request, MemberBody)
    added = await agents.set_member(
        services_of(request).uow,
        caller_of(request).actor("api"),
        int_param(request, "id"),
        body.agent_id,
        True,
    )
    return web.json_response({"changed": added})


@routes.delete("/teams/{id}/members/{agent_id}")
async def remove_member(request: web.Request) -> web.Response:
    removed = await agents.set_member(
        services_of(request).uow,
        caller_of(request).actor("api"),
        int_param(request, "id"),
        int_param(request, "agent_id"),
        False,
    )
    return web.json_response({"changed": removed})


def _path_id(name: str = "id") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _created(schema: str) -> dict[str, Any]:
    return {"201": ok(schema)["200"] | {"description": "created"}}


ADMINS = " (admins)"
OPENAPI: dict[str, Any] = {
    "/api/contacts": {
        "get": {
            "summary": "Contacts, newest first, searched and paged" + ADMINS,
            "parameters": [
                query("q", "a part of the name, e-mail or phone (any case)"),
                query("email", "exactly this e-mail (q and offset are then ignored)"),
                query("limit", "1 to 500, 50 by default", type="integer"),
                query("offset", "skip this many (the next page)", type="integer"),
            ],
            "responses": ok("ContactList") | error_responses(400, 401, 403),
        }
    },
    "/api/contacts/{id}": {
        "get": {
            "summary": "One contact" + ADMINS,
            "parameters": [_path_id()],
            "responses": ok("Contact") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/contacts/{id}/export": {
        "get": {
            "summary": "Everything stored about the person, as a JSON download"
            " (admins; audited contact.exported; 400 once erased)",
            "parameters": [_path_id()],
            "responses": ok("ContactExport") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/contacts/{id}/erase": {
        "post": {
            "summary": "Erase the person's data, keeping counts, runs and log lines"
            " (admins; audited contact.erased)",
            "parameters": [_path_id(), CSRF],
            "requestBody": json_body("EraseRequest"),
            "responses": ok("Erased") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/agents": {
        "get": {
            "summary": "Every agent" + ADMINS,
            "responses": ok("AgentList") | error_responses(401, 403),
        },
        "post": {
            "summary": "A new agent (admins; audited agent.created)",
            "parameters": [CSRF],
            "requestBody": json_body("AgentNew"),
            "responses": _created("Agent") | error_responses(400, 401, 403),
        },
    },
    "/api/agents/{id}": {
        "patch": {
            "summary": "Change an agent's name, e-mail, Slack user, roles, capacity or"
            " availability (admins; audited agent.changed)",
            "parameters": [_path_id(), CSRF],
            "requestBody": json_body("AgentChange"),
            "responses": ok("Agent") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/teams": {
        "get": {
            "summary": "Every team with its members' agent ids" + ADMINS,
            "responses": ok("TeamList") | error_responses(401, 403),
        },
        "post": {
            "summary": "A new team (admins; audited team.created)",
            "parameters": [CSRF],
            "requestBody": json_body("TeamNew"),
            "responses": _created("Team") | error_responses(400, 401, 403),
        },
    },
    "/api/teams/{id}": {
        "patch": {
            "summary": "Rename a team or set its Slack channel (admins; audited team.changed)",
            "parameters": [_path_id(), CSRF],
            "requestBody": json_body("TeamChange"),
            "responses": ok("Team") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/teams/{id}/members": {
        "post": {
            "summary": "Add an agent to a team (admins; audited team.changed)",
            "parameters": [_path_id(), CSRF],
            "requestBody": json_body("Member"),
            "responses": ok("MemberChanged") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/teams/{id}/members/{agent_id}": {
        "delete": {
            "summary": "Take an agent out of a team (admins; audited team.changed)",
            "parameters": [_path_id(), _path_id("agent_id"), CSRF],
            "responses": ok("MemberChanged") | error_responses(400, 401, 403, 404),
        }
    },
}
_TIME = {"type": "string", "format": "date-time"}
_AGENT_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "email": {"type": ["string", "null"], "format": "email"},
    "slack_user_id": {"type": ["string", "null"], "pattern": SLACK_USER},
    "roles": {"type": "array", "items": {"type": "string"}},
    "available": {"type": "boolean"},
    "capacity": {"type": "integer", "minimum": 0, "maximum": 10000},
}
_TEAM_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 120},
    "slack_channel": {"type": ["string", "null"], "pattern": SLACK_CHANNEL},
}
_ROWS = {"type": "array", "items": {"type": "object"}}
_ERASED_COUNTS = {
    name: {"type": "integer"}
    for name in (
        "identities",
        "conversations",
        "messages",
        "leads",
        "runs",
        "run_logs",
        "timers",
        "events",
        "outbox",
        "inbound_journal",
        "slack_receipts",
    )
}


def _list_of(schema: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


SCHEMAS: dict[str, Any] = {
    "Contact": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": ["string", "null"]},
            "display_name": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "phone": {"type": ["string", "null"]},
            "locale": {"type": ["string", "null"]},
            "attributes": {"type": "object"},
            "unreachable": {"type": "boolean"},
            "created_at": _TIME,
            "erased_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ContactList": _list_of("Contact"),
    "ContactExport": {
        "type": "object",
        "description": "Every row about the person; `tables` says where each part is stored",
        "properties": {
            "format": {"const": contact_privacy.FORMAT},
            "exported_at": _TIME,
            "tables": {"type": "object", "additionalProperties": {"type": "string"}},
            "contact": {"type": "object"},
            "identities": _ROWS,
            "conversations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"tags": {"type": "array"}, "messages": _ROWS},
                },
            },
            "leads": _ROWS,
            "workflow_runs": _ROWS,
            "run_logs": _ROWS,
            "timers": _ROWS,
            "events": _ROWS,
            "outbox": _ROWS,
            "inbound_journal": _ROWS,
            "slack_receipts": _ROWS,
        },
    },
    "EraseRequest": {
        "type": "object",
        "required": ["confirm"],
        "properties": {
            "confirm": {"type": "string", "description": '"ERASE" or the contact\'s id'}
        },
    },
    "Erased": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "erased": {
                "type": "object",
                "description": "rows changed, by kind",
                "properties": _ERASED_COUNTS,
            },
        },
    },
    "Agent": {
        "type": "object",
        "properties": {"id": {"type": "integer"}} | _AGENT_FIELDS,
    },
    "AgentList": _list_of("Agent"),
    "AgentNew": {"type": "object", "required": ["name"], "properties": _AGENT_FIELDS},
    "AgentChange": {"type": "object", "properties": _AGENT_FIELDS},
    "Team": {
        "type": "object",
        "properties": {"id": {"type": "integer"}}
        | _TEAM_FIELDS
        | {"members": {"type": "array", "items": {"type": "integer"}}},
    },
    "TeamList": _list_of("Team"),
    "TeamNew": {"type": "object", "required": ["name"], "properties": _TEAM_FIELDS},
    "TeamChange": {"type": "object", "properties": _TEAM_FIELDS},
    "Member": {
        "type": "object",
        "required": ["agent_id"],
        "properties": {"agent_id": {"type": "integer"}},
    },
    "MemberChanged": {"type": "object", "properties": {"changed": {"type": "boolean"}}},
}
