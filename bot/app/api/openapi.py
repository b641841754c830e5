"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the API routes, put
together from each API module's ``OPENAPI`` paths, and how to authenticate."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.app.api.spec import error_responses, ok, query, toggle
from bot.domain.audit import ACTIONS

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "relaybot API",
        "version": "1",
        "description": "Authenticate with `Authorization: Bearer $RELAYBOT_ADMIN_TOKEN` (an"
        " admin) or a console session cookie; a session request that changes something"
        " carries the session's CSRF token in `X-CSRF-Token`. See docs/console.md.",
    },
    "security": [{"bearer": []}, {"session": []}],
    "paths": {
        "/api/me": {
            "get": {
                "summary": "Who is calling (agents too)",
                "responses": ok("Me") | error_responses(401),
            }
        },
        "/api/workflows": {
            "get": {
                "summary": "Every workflow: name, enabled, version, trigger (agents too)",
                "responses": ok("Workflows") | error_responses(401),
            }
        },
        "/api/workflows/{name}/enable": toggle("enable"),
        "/api/workflows/{name}/disable": toggle("disable"),
        "/api/audit": {
            "get": {
                "summary": "The audit log, newest first (admins)",
                "parameters": [
                    query("actor", "an account's e-mail, cli, a Slack user id, api-token"),
                    query("action", "one action", enum=list(ACTIONS)),
                    query("since", "ISO 8601 time, inclusive", format="date-time"),
                    query("until", "ISO 8601 time, exclusive", format="date-time"),
                    query("before", "lines older than this id (next_before)", type="integer"),
                    query("limit", "1 to 200, 50 by default", type="integer"),
                ],
                "responses": ok("AuditPage") | error_responses(400, 401, 403),
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "relaybot_console"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "reason": {"type": "string"},
                        },
                    }
                },
            },
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
                            },
                        },
                    }
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
            "AuditPage": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "at": {"type": "string", "format": "date-time"},
                                "actor": {"type": "string"},
                                "actor_kind": {"enum": ["account", "cli", "slack", "api-token"]},
                                "source": {"enum": ["console", "api", "cli", "slack"]},
                                "action": {"type": "string"},
                                "target": {"type": ["string", "null"]},
                                "details": {"type": "object"},
                                "client_address": {"type": ["string", "null"]},
                            },
                        },
                    },
                    "next_before": {"type": ["integer", "null"]},
                },
            },
        },
    },
}


def document(modules: Sequence[ModuleType]) -> dict[str, Any]:
    """The whole description: the base above with each module's ``OPENAPI`` paths and
    ``SCHEMAS`` added."""
    whole = copy.deepcopy(DOCUMENT)
    for module in modules:
        whole["paths"] |= getattr(module, "OPENAPI", {})
        whole["components"]["schemas"] |= getattr(module, "SCHEMAS", {})
    return whole


def serving(modules: Sequence[ModuleType]) -> Handler:
    """The handler of ``GET /api/openapi.json``."""
    body = document(modules)

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(body)

    return serve
