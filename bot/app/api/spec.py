"""Pieces of the OpenAPI description each API module uses for its own routes (the module's
``OPENAPI`` paths; :mod:`bot.app.api.openapi` puts them together)."""

from __future__ import annotations

from typing import Any


def error_responses(*codes: int) -> dict[str, Any]:
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


def ok(schema: str) -> dict[str, Any]:
    return {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


def query(name: str, description: str, **schema: Any) -> dict[str, Any]:
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


def toggle(word: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"{word.capitalize()} a workflow (admins; audited)",
            "parameters": [NAME, CSRF],
            "responses": ok("Toggled") | error_responses(401, 403, 404),
        }
    }


def json_body(schema: str | dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body: a component's name, or a schema written out."""
    shape = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"required": True, "content": {"application/json": {"schema": shape}}}
