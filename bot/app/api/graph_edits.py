"""Editing a workflow on its graph (admins): the step types with the JSON Schema of their
fields (for the forms), the steps of a text as the editor reads them, and one edit (add,
remove, connect, move, set) applied to the draft and saved like any draft save."""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

import yaml
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.app.api.builder import PROBLEMS, problems_json
from bot.app.api.common import parse, services_of
from bot.app.api.spec import CSRF, NAME, error_responses, json_body, ok
from bot.app.console.auth import caller_of
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain.workflow_drafts import MAX_CHARS, chart_data, check, read_draft, save_draft
from bot.domain.workflow_versions import workflow_detail
from bot.storage.uow import UnitOfWork
from workflows import draft_edits
from workflows.graph import raw_step_ids
from workflows.loader import load_yaml
from workflows.registry import STEPS
from workflows.steps.base import StepBase

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset()


def _summary(step_class: type[StepBase]) -> str:
    """The first line of the step module's docstring, without its leading ``name:``."""
    doc = (sys.modules[step_class.__module__].__doc__ or "").strip().splitlines()
    line = doc[0] if doc else ""
    return line.split(": ", 1)[1] if ": " in line else line


def step_types() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "summary": _summary(step_class),
            "outcomes": list(step_class.OUTCOMES),
            "schema": step_class.model_json_schema(),
        }
        for name in STEPS.names()
        if (step_class := STEPS.get(name)) is not None
    ]


def steps_of(text: str) -> list[dict[str, Any]]:
    """Each step of ``text`` as written: its id (given or generated), type and fields."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return []  # unreadable text has no steps to show
    raw = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return []
    found = []
    for step_id, step in zip(raw_step_ids(raw), raw, strict=True):
        fields = {k: v for k, v in step.items() if k != "id"} if isinstance(step, dict) else {}
        found.append({"id": step_id, "type": str(fields.get("type", "")), "fields": fields})
    return json.loads(json.dumps(found, default=str))  # type: ignore[no-any-return]


@routes.get("/step-types")
async def get_step_types(request: web.Request) -> web.Response:
    return web.json_response({"step_types": step_types()})


class TextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=MAX_CHARS)
    name: str | None = Field(default=None, max_length=120)


@routes.post("/workflows/steps")
async def read_steps(request: web.Request) -> web.Response:
    body = await parse(request, TextBody)
    _, problems = check(body.yaml, body.name)
    return web.json_response({"steps": steps_of(body.yaml), "problems": problems_json(problems)})


class EditBody(BaseModel):
    """One edit; which fields it needs depends on ``op`` (see the OpenAPI description)."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["add", "remove", "connect", "move", "set"]
    yaml: str | None = Field(default=None, min_length=1, max_length=MAX_CHARS)
    step: dict[str, Any] | None = None
    after: str | None = None
    exit: str | None = None
    step_id: str | None = None
    outcome: str | None = None
    target: str | None = None
    index: int | None = Field(default=None, ge=0)
    fields: dict[str, Any] | None = None


def _needs(value: Any, field: str, op: str) -> Any:
    if value is None:
        raise ValidationFailed(field, f"is needed to {op}")
    return value


def apply(text: str, body: EditBody) -> str:
    """``body``'s edit made to ``text``; ValidationFailed when it cannot be made."""
    op = body.op
    try:
        if op == "add":
            return draft_edits.add_step(text, _needs(body.step, "step", op), body.after, body.exit)
        step_id = _needs(body.step_id, "step_id", op)
        if op == "remove":
            return draft_edits.remove_step(text, step_id)
        if op == "connect":
            outcome = _needs(body.outcome, "outcome", op)
            return draft_edits.connect(text, step_id, outcome, _needs(body.target, "target", op))
        if op == "move":
            return draft_edits.move_step(text, step_id, _needs(body.index, "index", op))
        return draft_edits.set_step(text, step_id, _needs(body.fields, "fields", op))
    except draft_edits.EditError as exc:
        raise ValidationFailed(op, str(exc)) from exc


async def _draft_text(uow: UnitOfWork, name: str) -> str:
    """The draft's text, else the current version's (404 when there is neither)."""
    draft = await read_draft(uow, name)
    if draft is not None:
        return draft.yaml
    try:
        return (await workflow_detail(uow, name)).current.yaml
    except NotFoundError as exc:
        raise NotFoundError(f"no workflow or draft named {name!r}") from exc


@routes.post("/workflows/{name}/draft/edit")
async def edit_draft(request: web.Request) -> web.Response:
    body = await parse(request, EditBody)
    name = request.match_info["name"]
    uow = services_of(request).uow
    text = apply(body.yaml or await _draft_text(uow, name), body)
    draft = await save_draft(uow, name, text, caller_of(request).actor("api"))
    workflow, _ = check(draft.yaml, name)
    return web.json_response(
        {
            "name": name,
            "yaml": draft.yaml,
            "problems": problems_json(draft.problems),
            "chart": None if workflow is None else chart_data(workflow),
            "steps": steps_of(draft.yaml),
        }
    )


OPENAPI: dict[str, Any] = {
    "/api/step-types": {
        "get": {
            "summary": "Every step type: name, summary, the exits it may map, JSON Schema",
            "responses": ok("StepTypes") | error_responses(401, 403),
        }
    },
    "/api/workflows/steps": {
        "post": {
            "summary": "The steps of a workflow's YAML as written (id, type, fields) and its"
            " problems",
            "parameters": [CSRF],
            "requestBody": json_body("StepsBody"),
            "responses": ok("DraftSteps") | error_responses(400, 401, 403),
        }
    },
    "/api/workflows/{name}/draft/edit": {
        "post": {
            "summary": "Edit the draft on its graph and save it (validated and audited)",
            "description": "Made to `yaml` when given, else to the draft, else to the current"
            " version. `add`: `step` (type and fields; `id` optional) after step `after`"
            " (first when absent), or on its exit `exit`. `remove`: `step_id`. `connect`:"
            " `step_id`'s exit `outcome` (or `next`) to `target` (a step id or `end`)."
            " `move`: `step_id` to position `index`. `set`: `step_id`'s `fields`. Comments"
            " and key order stay. 400 names the op when the edit cannot be made.",
            "parameters": [NAME, CSRF],
            "requestBody": json_body("DraftEdit"),
            "responses": ok("DraftEdited") | error_responses(400, 401, 403, 404),
        }
    },
}
STEP_LIST = {"type": "array", "items": {"type": "object"}}
SCHEMAS: dict[str, Any] = {
    "StepsBody": TextBody.model_json_schema(),
    "DraftEdit": EditBody.model_json_schema(),
    "StepTypes": {"type": "object", "properties": {"step_types": STEP_LIST}},
    "DraftSteps": {"type": "object", "properties": {"steps": STEP_LIST, "problems": PROBLEMS}},
    "DraftEdited": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "yaml": {"type": "string"},
            "problems": PROBLEMS,
            "chart": {"type": ["object", "null"]},
            "steps": STEP_LIST,
        },
    },
}
