"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the API routes, put
together from each API module's ``OPENAPI`` paths, and how to authenticate."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

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
    "paths": {},
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
        },
    },
}


def document(modules: Sequence[ModuleType], prefix: str = "/api") -> dict[str, Any]:
    """The whole description: the base above with each module's ``OPENAPI`` paths and
    ``SCHEMAS`` added, and each operation's ``x-roles`` (who may call it) taken from the
    same ``AGENT_ROUTES`` the guard enforces."""
    whole = copy.deepcopy(DOCUMENT)
    for module in modules:
        whole["paths"] |= copy.deepcopy(getattr(module, "OPENAPI", {}))
        whole["components"]["schemas"] |= getattr(module, "SCHEMAS", {})
    for module in modules:
        agents: frozenset[tuple[str, str]] = getattr(module, "AGENT_ROUTES", frozenset())
        for route in module.routes:
            operation = whole["paths"].get(prefix + route.path, {}).get(route.method.lower())
            if operation is not None:
                operation["x-roles"] = (
                    ["admin", "agent"] if (route.method, route.path) in agents else ["admin"]
                )
    return whole


def serving(modules: Sequence[ModuleType]) -> Handler:
    """The handler of ``GET /api/openapi.json``."""
    body = document(modules)

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(body)

    return serve
