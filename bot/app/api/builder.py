"""The workflow builder's API (admins): a workflow's draft (read, save, discard), publishing
it with the choice for runs in flight, and checking a text without storing it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.app.api.common import parse, services_of
from bot.app.api.spec import CSRF, NAME, error_responses, json_body, ok
from bot.app.console.auth import caller_of
from bot.core.errors import NotFoundError
from bot.domain.workflow_drafts import (
    MAX_CHARS,
    Draft,
    DraftHasProblems,
    chart_data,
    check,
    discard_draft,
    publish,
    read_draft,
    save_draft,
)
from workflows.problems import Problem

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset()


def problems_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [asdict(problem) for problem in problems]


def draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "name": draft.name,
        "yaml": draft.yaml,
        "base_version": draft.base_version,
        "saved_by": draft.saved_by,
        "saved_at": draft.saved_at.isoformat(),
        "problems": problems_json(draft.problems),
    }


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1, max_length=MAX_CHARS)


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    in_flight: Literal["finish", "move"] = "finish"


@routes.get("/workflows/{name}/draft")
async def get_draft(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    draft = await read_draft(services_of(request).uow, name)
    if draft is None:
        raise NotFoundError(f"no draft of {name!r}")
    return web.json_response(draft_json(draft))


@routes.put("/workflows/{name}/draft")
async def put_draft(request: web.Request) -> web.Response:
    body = await parse(request, DraftBody)
    actor = caller_of(request).actor("api")
    draft = await save_draft(services_of(request).uow, request.match_info["name"], body.yaml, actor)
    return web.json_response(draft_json(draft))


@routes.delete("/workflows/{name}/draft")
async def delete_draft(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if not await discard_draft(services_of(request).uow, name):
        raise NotFoundError(f"no draft of {name!r}")
    return web.json_response({"name": name, "discarded": True})


@routes.post("/workflows/{name}/publish")
async def publish_draft(request: web.Request) -> web.Response:
    body = await parse(request, PublishBody)
    actor = caller_of(request).actor("api")
    try:
        done = await publish(
            services_of(request).uow, request.match_info["name"], body.in_flight, actor
        )
    except DraftHasProblems as exc:
        refused = {
            "error": {"field": exc.field, "reason": exc.reason},
            "problems": problems_json(exc.problems),
        }
        return web.json_response(refused, status=400)
    return web.json_response(asdict(done))


class ValidateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=MAX_CHARS)
    name: str | None = Field(default=None, max_length=120)


@routes.post("/workflows/validate")
async def validate(request: web.Request) -> web.Response:
    body = await parse(request, ValidateBody)
    workflow, problems = check(body.yaml, body.name)
    return web.json_response(
        {
            "problems": problems_json(problems),
            "chart": None if workflow is None else chart_data(workflow),
        }
    )


OPENAPI: dict[str, Any] = {
    "/api/workflows/{name}/draft": {
        "get": {
            "summary": "The draft of a workflow: its YAML as written and its problems",
            "parameters": [NAME],
            "responses": ok("WorkflowDraft") | error_responses(401, 403, 404),
        },
        "put": {
            "summary": "Save the draft of a workflow (new or existing; problems and all; audited)",
            "description": "A draft never runs. The answer lists its problems, each with file,"
            " where, field and reason; a draft with problems is saved but cannot be published.",
            "parameters": [NAME, CSRF],
            "requestBody": json_body("DraftBody"),
            "responses": ok("WorkflowDraft") | error_responses(400, 401, 403),
        },
        "delete": {
            "summary": "Discard the draft of a workflow",
            "parameters": [NAME, CSRF],
            "responses": ok("DraftDiscarded") | error_responses(401, 403, 404),
        },
    },
    "/api/workflows/{name}/publish": {
        "post": {
            "summary": "Publish the draft as the workflow's current version (audited)",
            "description": "`in_flight`: `finish` (runs in flight end on their version) or"
            " `move` (waiting runs whose step id is in the new definition go on with it)."
            " 400 with `problems` while the draft has any; 404 without a draft.",
            "parameters": [NAME, CSRF],
            "requestBody": json_body("PublishBody"),
            "responses": ok("Published") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/workflows/validate": {
        "post": {
            "summary": "Check a workflow's YAML without storing it: its problems and its chart",
            "description": "With `name`, a draft named otherwise is a problem too.",
            "parameters": [CSRF],
            "requestBody": json_body("ValidateBody"),
            "responses": ok("Validated") | error_responses(400, 401, 403),
        }
    },
}
PROBLEMS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "file": {"type": "string"},
            "where": {"type": "string"},
            "field": {"type": "string"},
            "reason": {"type": "string"},
        },
    },
}
SCHEMAS: dict[str, Any] = {
    "DraftBody": DraftBody.model_json_schema(),
    "PublishBody": PublishBody.model_json_schema(),
    "ValidateBody": ValidateBody.model_json_schema(),
    "WorkflowDraft": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "yaml": {"type": "string"},
            "base_version": {"type": ["integer", "null"]},
            "saved_by": {"type": "string"},
            "saved_at": {"type": "string", "format": "date-time"},
            "problems": PROBLEMS,
        },
    },
    "DraftDiscarded": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "discarded": {"type": "boolean"}},
    },
    "Published": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "integer"},
            "previous": {"type": ["integer", "null"]},
            "in_flight": {"enum": ["finish", "move"]},
            "moved": {"type": "integer"},
            "stayed": {"type": "integer"},
        },
    },
    "Validated": {
        "type": "object",
        "properties": {"problems": PROBLEMS, "chart": {"type": ["object", "null"]}},
    },
}
