"""``GET /api/openapi.json`` describes the whole API: a valid OpenAPI 3.1 document with
every ``/api`` route the app serves, only those, each with who may call it."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from bot.app.api import AGENT_ROUTES, PREFIX
from tests.integration.console.http_support import Client, client

__all__ = ["client"]

METHODS = {"get", "post", "patch", "put", "delete"}


def _served(client: Client) -> set[tuple[str, str]]:
    app = client.app
    assert app is not None
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith(PREFIX + "/") and route.method.lower() in METHODS:
            served.add((route.method.lower(), path))
    return served


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


async def test_the_document_is_valid_openapi(client: Client) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    validate(document)
    assert document["openapi"].startswith("3.1")


async def test_every_api_route_is_described_and_nothing_else(client: Client) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    served = _served(client) - {("get", "/api/openapi.json")}
    assert _documented(document) == served


async def test_each_route_says_who_may_call_it(client: Client) -> None:
    """``x-roles`` of each operation, as the guard decides it."""
    document = await (await client.get("/api/openapi.json")).json()
    roles = {
        (method, path): document["paths"].get(path, {}).get(method, {}).get("x-roles")
        for method, path in _served(client) - {("get", "/api/openapi.json")}
    }
    assert roles == {
        (method, path): (
            ["admin", "agent"]
            if (method.upper(), path.removeprefix(PREFIX)) in AGENT_ROUTES
            else ["admin"]
        )
        for method, path in roles
    }


async def test_every_reference_resolves(client: Client) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    schemas = document["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', str(document).replace("'", '"'))
    assert refs and set(refs) <= set(schemas)
