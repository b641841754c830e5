"""/api/workflows (agents read; admins enable, disable and roll back) and /api/me."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from bot.app.api.common import Id, int_param, parse, services_of
from bot.app.api.spec import CSRF, NAME, error_responses, json_body, ok, toggle
from bot.app.console.auth import caller_of
from bot.domain.workflow_store import WorkflowInfo, list_workflows, set_enabled
from bot.domain.workflow_versions import (
    VersionDiff,
    VersionInfo,
    VersionView,
    compare,
    roll_back,
    version_view,
    workflow_detail,
)

routes = web.RouteTableDef()
AGENT_ROUTES = frozenset(
    {
        ("GET", "/workflows"),
        ("GET", "/me"),
        ("GET", "/workflows/{name}"),
        ("GET", "/workflows/{name}/versions/{version}"),
        ("GET", "/workflows/{name}/diff"),
    }
)
"""The routes of this table agents may call too."""


def _listed(w: WorkflowInfo) -> dict[str, Any]:
    error = w.last_error
    return {
        "name": w.name,
        "enabled": w.enabled,
        "version": w.version,
        "trigger": w.trigger,
        "description": w.description,
        "runs": w.runs,
        "runs_24h": w.recent_runs,
        "last_error": None
        if error is None
        else {"run_id": error.run_id, "message": error.message, "at": error.at.isoformat()},
    }


@routes.get("/workflows")
async def workflows(request: web.Request) -> web.Response:
    services = services_of(request)
    items = await list_workflows(services.uow, services.clock.now())
    return web.json_response({"items": [_listed(w) for w in items]})


def _version(info: VersionInfo) -> dict[str, Any]:
    return {
        "version": info.number,
        "created_at": info.created_at.isoformat(),
        "checksum": info.checksum,
        "current": info.current,
        "runs": info.runs,
    }


def _viewed(view: VersionView) -> dict[str, Any]:
    return _version(view.info) | {"yaml": view.yaml, "chart": view.chart}


@routes.get("/workflows/{name}")
async def workflow(request: web.Request) -> web.Response:
    detail = await workflow_detail(services_of(request).uow, request.match_info["name"])
    return web.json_response(
        {
            "name": detail.name,
            "enabled": detail.enabled,
            "version": detail.current.info.number,
            "trigger": detail.trigger,
            "description": detail.description,
            "chart": detail.current.chart,
            "yaml": detail.current.yaml,
            "versions": [_version(v) for v in detail.versions],
        }
    )


@routes.get("/workflows/{name}/versions/{version}")
async def version(request: web.Request) -> web.Response:
    number = int_param(request, "version")
    view = await version_view(services_of(request).uow, request.match_info["name"], number)
    return web.json_response(_viewed(view))


def diff_body(found: VersionDiff) -> dict[str, Any]:
    return {
        "name": found.name,
        "from": found.old,
        "to": found.new,
        "text": found.text,
        "lines": [
            {"kind": line.kind, "text": line.text, "old": line.old, "new": line.new}
            for line in found.lines
        ],
    }


@routes.get("/workflows/{name}/diff")
async def diff(request: web.Request) -> web.Response:
    old, new = int_param(request, "from"), int_param(request, "to")
    found = await compare(services_of(request).uow, request.match_info["name"], old, new)
    return web.json_response(diff_body(found))


class RollbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Id


@routes.post("/workflows/{name}/rollback")
async def rollback(request: web.Request) -> web.Response:
    body = await parse(request, RollbackBody)
    actor = caller_of(request).actor("api")
    done = await roll_back(
        services_of(request).uow, request.match_info["name"], body.version, actor
    )
    return web.json_response({"name": done.name, "from": done.old, "to": done.new})


async def _toggle(request: web.Request, enabled: bool) -> web.Response:
    name = request.match_info["name"]
    actor = caller_of(request).actor("api")
    changed = await set_enabled(services_of(request).uow, name, enabled, actor)
    return web.json_response({"name": name, "enabled": enabled, "changed": changed})


@routes.post("/workflows/{name}/enable")
async def enable(request: web.Request) -> web.Response:
    return await _toggle(request, True)


@routes.post("/workflows/{name}/disable")
async def disable(request: web.Request) -> web.Response:
    return await _toggle(request, False)


@routes.get("/me")
async def me(request: web.Request) -> web.Response:
    caller = caller_of(request)
    body: dict[str, object] = {"name": caller.name, "role": caller.role}
    if caller.session is not None:
        account = caller.session.account
        body |= {
            "email": account.email,
            "agent_id": account.agent_id,
            "csrf_token": caller.session.csrf_token,
        }
    return web.json_response(body)


VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "integer"}}


def _number(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {"type": "integer"},
    }


OPENAPI: dict[str, Any] = {
    "/api/me": {
        "get": {
            "summary": "Who is calling (agents too)",
            "responses": ok("Me") | error_responses(401),
        }
    },
    "/api/workflows/{name}/enable": toggle("enable"),
    "/api/workflows/{name}/disable": toggle("disable"),
    "/api/workflows": {
        "get": {
            "summary": "Every workflow: name, enabled, version, trigger, runs in the last 24 h,"
            " last error (agents too)",
            "responses": ok("Workflows") | error_responses(401),
        }
    },
    "/api/workflows/{name}": {
        "get": {
            "summary": "One workflow: its current version's YAML and chart, every version"
            " (agents too)",
            "parameters": [NAME],
            "responses": ok("WorkflowDetail") | error_responses(401, 404),
        }
    },
    "/api/workflows/{name}/versions/{version}": {
        "get": {
            "summary": "One version of a workflow: its YAML and chart (agents too)",
            "parameters": [NAME, VERSION],
            "responses": ok("WorkflowVersionView") | error_responses(400, 401, 404),
        }
    },
    "/api/workflows/{name}/diff": {
        "get": {
            "summary": "The unified diff of two versions' YAML (agents too)",
            "parameters": [
                NAME,
                _number("from", "the older version's number"),
                _number("to", "the newer version's number"),
            ],
            "responses": ok("WorkflowDiff") | error_responses(400, 401, 404),
        }
    },
    "/api/workflows/{name}/rollback": {
        "post": {
            "summary": "Make an older version current: new runs start on it, runs in flight"
            " finish on theirs (admins; audited as workflow.rolled_back)",
            "parameters": [NAME, CSRF],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["version"],
                    "properties": {"version": {"type": "integer"}},
                }
            ),
            "responses": ok("RolledBack") | error_responses(400, 401, 403, 404),
        }
    },
}

_VERSION_PROPS: dict[str, Any] = {
    "version": {"type": "integer"},
    "created_at": {"type": "string", "format": "date-time"},
    "checksum": {"type": "string"},
    "current": {"type": "boolean"},
    "runs": {"type": "integer", "description": "runs started on this version"},
}
_CHART: dict[str, Any] = {
    "type": "object",
    "description": "workflows/flowchart.py: the trigger, each step and the end, and the ways"
    " between them (dashed: on to the next step)",
    "properties": {
        "nodes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "label": {"type": "string"},
                    "shape": {"enum": ["terminal", "step", "decision"]},
                },
            },
        },
        "edges": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "source": {"type": "string"},
                    "target": {"type": "string"},
                    "label": {"type": "string"},
                    "dashed": {"type": "boolean"},
                },
            },
        },
    },
}
SCHEMAS: dict[str, Any] = {
    "Me": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "role": {"enum": ["admin", "agent"]},
            "email": {"type": "string"},
            "agent_id": {"type": ["integer", "null"]},
            "csrf_token": {"type": "string"},
        },
    },
    "Toggled": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "enabled": {"type": "boolean"},
            "changed": {"type": "boolean"},
        },
    },
    "Workflows": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "enabled": {"type": "boolean"},
                        "version": {"type": "integer"},
                        "trigger": {"type": "string"},
                        "description": {"type": "string"},
                        "runs": {"type": "integer"},
                        "runs_24h": {"type": "integer"},
                        "last_error": {
                            "type": ["object", "null"],
                            "properties": {
                                "run_id": {"type": "integer"},
                                "message": {"type": "string"},
                                "at": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                },
            }
        },
    },
    "WorkflowDetail": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "enabled": {"type": "boolean"},
            "version": {"type": "integer", "description": "the current version"},
            "trigger": {"type": "string"},
            "description": {"type": "string"},
            "chart": _CHART,
            "yaml": {"type": "string"},
            "versions": {
                "type": "array",
                "description": "newest first",
                "items": {"type": "object", "properties": _VERSION_PROPS},
            },
        },
    },
    "WorkflowVersionView": {
        "type": "object",
        "properties": _VERSION_PROPS | {"yaml": {"type": "string"}, "chart": _CHART},
    },
    "WorkflowDiff": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "from": {"type": "integer"},
            "to": {"type": "integer"},
            "text": {"type": "string", "description": "the unified diff"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["context", "added", "removed", "hunk"]},
                        "text": {"type": "string"},
                        "old": {"type": ["integer", "null"]},
                        "new": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
    "RolledBack": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "from": {"type": "integer"},
            "to": {"type": "integer"},
        },
    },
}
