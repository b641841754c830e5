"""/api/inbox: what the console's inbox does beyond /api/conversations."""

from __future__ import annotations

from typing import Any

from aiohttp import web

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset()
"""The routes of this table agents may call too."""
OPENAPI: dict[str, Any] = {}
SCHEMAS: dict[str, Any] = {}
