"""/api/leads: the way leads enter the system and move through the pipeline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from bot.app.api import serialize
from bot.app.api.common import Id, int_param, parse, services_of
from bot.app.api.spec import CSRF, error_responses, json_body, ok, query
from bot.core.errors import NotFoundError
from bot.domain import leads as lead_service
from bot.storage.app import lead_queries
from bot.storage.domain import lead_records

routes = web.RouteTableDef()


class LeadBody(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    stage: str | None = None
    expected_amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    contact_id: Id | None = None
    conversation_id: Id | None = None
    owner_id: Id | None = None


class StageBody(BaseModel):
    stage: str = Field(min_length=1)


@routes.get("/leads")
async def list_leads(request: web.Request) -> web.Response:
    limit = min(int_param(request, "limit", default=50), 500)
    async with services_of(request).uow() as tx:
        rows = await lead_queries.recent_leads(tx, limit=limit, stage=request.query.get("stage"))
        items = [serialize.lead(r) for r in rows]
    return web.json_response({"items": items, "stages": services_of(request).pipeline.stages})


@routes.post("/leads")
async def create_lead(request: web.Request) -> web.Response:
    body = await parse(request, LeadBody)
    services = services_of(request)
    async with services.uow() as tx:
        lead = await lead_service.create_lead(
            tx,
            services.pipeline,
            name=body.name,
            stage=body.stage,
            contact_id=body.contact_id,
            conversation_id=body.conversation_id,
            expected_amount=body.expected_amount,
            currency=body.currency or services.settings.default_currency,
            owner_id=body.owner_id,
        )
        result = serialize.lead(lead)
    return web.json_response(result, status=201)


@routes.get("/leads/{id}")
async def read_lead(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        lead = await lead_records.lead(tx, int_param(request, "id"))
        if lead is None:
            raise NotFoundError("lead not found")
        return web.json_response(serialize.lead(lead))


@routes.post("/leads/{id}/stage")
async def change_stage(request: web.Request) -> web.Response:
    body = await parse(request, StageBody)
    services = services_of(request)
    async with services.uow() as tx:
        changed = await lead_service.change_stage(
            tx, services.pipeline, int_param(request, "id"), body.stage, by="api"
        )
    return web.json_response({"changed": changed})


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_LEAD_IN = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "stage": {"type": ["string", "null"], "description": "a pipeline stage (the first if none)"},
    "expected_amount": {"type": ["string", "number", "null"], "minimum": 0},
    "currency": {"type": ["string", "null"], "pattern": "^[A-Za-z]{3}$"},
    "contact_id": {"type": ["integer", "null"]},
    "conversation_id": {"type": ["integer", "null"]},
    "owner_id": {"type": ["integer", "null"]},
}
OPENAPI: dict[str, Any] = {
    "/api/leads": {
        "get": {
            "summary": "Leads, newest first, with the pipeline's stages (admins)",
            "parameters": [
                query("stage", "only leads in this stage"),
                query("limit", "1 to 500, 50 by default", type="integer"),
            ],
            "responses": ok("LeadList") | error_responses(400, 401, 403),
        },
        "post": {
            "summary": "A new lead (admins; records lead.created)",
            "parameters": [CSRF],
            "requestBody": json_body("LeadNew"),
            "responses": {"201": ok("Lead")["200"] | {"description": "created"}}
            | error_responses(400, 401, 403, 404),
        },
    },
    "/api/leads/{id}": {
        "get": {
            "summary": "One lead (admins)",
            "parameters": [_ID],
            "responses": ok("Lead") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/leads/{id}/stage": {
        "post": {
            "summary": "Move a lead to another stage (admins; records lead.stage_changed)",
            "parameters": [_ID, CSRF],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["stage"],
                    "properties": {"stage": {"type": "string", "minLength": 1}},
                }
            ),
            "responses": ok("LeadStageChanged") | error_responses(400, 401, 403, 404),
        }
    },
}
_LEAD = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "stage": {"type": "string"},
    "expected_amount": {"type": ["string", "null"], "description": "a decimal, as text"},
    "currency": {"type": "string"},
    "contact_id": {"type": ["integer", "null"]},
    "conversation_id": {"type": ["integer", "null"]},
    "owner_id": {"type": ["integer", "null"]},
    "tags": {"type": "array", "items": {"type": "string"}},
    "created_at": {"type": "string", "format": "date-time"},
}
SCHEMAS: dict[str, Any] = {
    "Lead": {"type": "object", "properties": _LEAD},
    "LeadNew": {"type": "object", "required": ["name"], "properties": _LEAD_IN},
    "LeadList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Lead"}},
            "stages": {"type": "array", "items": {"type": "string"}},
        },
    },
    "LeadStageChanged": {"type": "object", "properties": {"changed": {"type": "boolean"}}},
}
