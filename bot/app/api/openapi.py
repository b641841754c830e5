"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the console's API routes
(workflows, the audit log, the signed-in caller) and how to authenticate."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain.audit import ACTIONS


def _error_responses(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "a parameter is wrong (the field is named)",
        401: "no valid bearer token or console session",
        403: "admins only, or a session request without its CSRF token",
        404: "not found",
    }
    return {
        str(code): {
            "description": reasons[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _ok(schema: str) -> dict[str, Any]:
    return {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
CSRF = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": False,
    "description": "required with a console session (GET /api/me gives it); not with a token",
    "schema": {"type": "string"},
}


def _toggle(word: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"{word.capitalize()} a workflow (admins; audited)",
            "parameters": [NAME, CSRF],
            "responses": _ok("Toggled") | _error_responses(401, 403, 404),
        }
    }


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
                "responses": _ok("Me") | _error_responses(401),
            }
        },
        "/api/workflows": {
            "get": {
                "summary": "Every workflow: name, enabled, version, trigger (agents too)",
                "responses": _ok("Workflows") | _error_responses(401),
            }
        },
        "/api/workflows/{name}/enable": _toggle("enable"),
        "/api/workflows/{name}/disable": _toggle("disable"),
        "/api/audit": {
            "get": {
                "summary": "The audit log, newest first (admins)",
                "parameters": [
                    _query("actor", "an account's e-mail, cli, a Slack user id, api-token"),
                    _query("action", "one action", enum=list(ACTIONS)),
                    _query("since", "ISO 8601 time, inclusive", format="date-time"),
                    _query("until", "ISO 8601 time, exclusive", format="date-time"),
                    _query("before", "lines older than this id (next_before)", type="integer"),
                    _query("limit", "1 to 200, 50 by default", type="integer"),
                ],
                "responses": _ok("AuditPage") | _error_responses(400, 401, 403),
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


async def serve(request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)
