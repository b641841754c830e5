"""Trying a draft workflow before it is published (admins): ``POST /api/workflows/preview``,
a preview chat whose session travels with each call, so nothing is kept on the server and
nothing the draft does leaves the sandbox (:mod:`workflows.sandbox`); and ``POST
/api/workflows/{name}/replay``, the draft against the last runs of the stored workflow
(:mod:`bot.domain.workflow_replay`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app.api.common import parse, services_of
from bot.app.api.spec import NAME, error_responses, json_body, ok
from bot.app.replay_cli import report_json
from bot.core.errors import ValidationFailed
from bot.domain.workflow_replay import MAX_RUNS, replay_last
from workflows.loader import parse_text
from workflows.sandbox import Example, Turn, begin, reply, skip_wait
from workflows.schema import Workflow
from workflows.state import RunState
from workflows.values import json_safe

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset()


class Session(BaseModel):
    """Where a preview stands: the run's state, the sandbox context and its clock."""

    state: dict[str, Any]
    ctx: dict[str, Any]
    now: datetime


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1, max_length=200_000)
    session: Session | None = None
    say: str | None = Field(default=None, max_length=4096)
    payload: str | None = Field(default=None, max_length=1024)
    skip: bool = False
    examples: dict[str, Example] = Field(default_factory=dict, max_length=50)
    visitor: dict[str, str] = Field(default_factory=dict, max_length=20)


def sandbox_context(draft: Workflow, visitor: dict[str, str], text: str | None) -> dict[str, Any]:
    """The context of a sandbox conversation: a made-up visitor on the preview channel."""
    return {
        "contact": {"id": 0, "name": "Preview visitor", "email": None, "phone": None, **visitor},
        "conversation": {
            "id": 0,
            "channel": "preview",
            "source": "preview",
            "status": "open",
            "tags": [],
            "message_count": 1 if text else 0,
            "assignee": None,
            "team": None,
            "attributes": {},
        },
        "lead": None,
        "message": {"text": text or "", "payload": None, "kind": "text"},
        "event": {"type": draft.trigger.event},
        "vars": {},
    }


def _draft(text: str) -> Workflow:
    draft, problems = parse_text(text, source="draft")
    if problems or draft is None:
        raise ValidationFailed("yaml", str(problems[0]) if problems else "not a workflow")
    return draft


def _turn(body: PreviewBody, draft: Workflow, now: datetime) -> Turn:
    if body.session is None:
        return begin(draft, sandbox_context(draft, body.visitor, body.say), now, body.examples)
    try:
        state = RunState.model_validate(body.session.state)
    except ValidationError as exc:
        raise ValidationFailed("session.state", "not a run state from this preview") from exc
    turn = Turn(state, body.session.ctx, body.session.now, [])
    if body.skip:
        return skip_wait(draft, turn, body.examples)
    if not turn.can_answer:
        raise ValidationFailed("say", "the draft is not waiting for an answer")
    return reply(draft, turn, body.examples, text=body.say, payload=body.payload)


@routes.post("/workflows/preview")
async def preview(request: web.Request) -> web.Response:
    body = await parse(request, PreviewBody)
    draft = _draft(body.yaml)
    turn = _turn(body, draft, services_of(request).clock.now())
    state = turn.state
    return web.json_response(
        {
            "session": {
                "state": state.model_dump(mode="json"),
                "ctx": turn.ctx,
                "now": turn.now.isoformat(),
            },
            "lines": [asdict(line) for line in turn.lines],
            "status": state.status,
            "can_answer": turn.can_answer,
            "can_skip": turn.can_skip,
            "waiting_until": state.timer_due_at.isoformat() if state.timer_due_at else None,
        },
        dumps=lambda value: json.dumps(json_safe(value)),
    )


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1, max_length=200_000)
    last: int = Field(default=100, ge=1, le=MAX_RUNS)


@routes.post("/workflows/{name}/replay")
async def replay(request: web.Request) -> web.Response:
    body = await parse(request, ReplayBody)
    draft = _draft(body.yaml)
    name = request.match_info["name"]
    if draft.name != name:
        raise ValidationFailed("yaml", f"the draft is named {draft.name!r}, not {name!r}")
    services = services_of(request)
    report = await replay_last(services.uow, draft, body.last, services.clock.now())
    return web.json_response(report_json(report))


def _body_schemas() -> dict[str, Any]:
    """The request body's JSON Schema, its nested models as components of their own."""
    schema = PreviewBody.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"PreviewBody": schema, **schema.pop("$defs", {})}


OPENAPI: dict[str, Any] = {
    "/api/workflows/preview": {
        "post": {
            "summary": "A preview chat turn with a draft workflow: nothing is sent or stored",
            "description": "Start with `yaml` (and optionally `say`, `visitor`, `examples`);"
            " then send back the returned `session` with `say`/`payload` to answer, or"
            " `skip: true` to jump to the draft's timer. `examples` maps an action name"
            " (`shopify.order_lookup`) to `{outcome, data, reason}`.",
            "requestBody": json_body("PreviewBody"),
            "responses": ok("PreviewTurn") | error_responses(400, 401, 403),
        }
    }
}
OPENAPI["/api/workflows/{name}/replay"] = {
    "post": {
        "summary": "Replay a draft against the last runs of the stored workflow (no side effects)",
        "description": "For each of the `last` runs, newest first: `same`, `differs` (where,"
        " why, the values compared), `fails`, `would_not_start` or `not_comparable`.",
        "parameters": [NAME],
        "requestBody": json_body("ReplayBody"),
        "responses": ok("ReplayReport") | error_responses(400, 401, 403, 404),
    }
}
SCHEMAS: dict[str, Any] = {
    "ReplayBody": ReplayBody.model_json_schema(),
    "ReplayReport": {
        "type": "object",
        "properties": {
            "workflow": {"type": "string"},
            "runs": {"type": "integer"},
            "seconds": {"type": "number"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "outcomes": {"type": "array", "items": {"type": "object"}},
        },
    },
    **_body_schemas(),
    "PreviewTurn": {
        "type": "object",
        "properties": {
            "session": {"type": "object"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["bot", "note", "error"]},
                        "text": {"type": "string"},
                        "choices": {"type": "array", "items": {"type": "string"}},
                        "step_id": {"type": ["string", "null"]},
                    },
                },
            },
            "status": {"type": "string"},
            "can_answer": {"type": "boolean"},
            "can_skip": {"type": "boolean"},
            "waiting_until": {"type": ["string", "null"], "format": "date-time"},
        },
    },
}
