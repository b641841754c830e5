"""The admin HTTP API under ``/api``: the bearer token ``RELAYBOT_ADMIN_TOKEN`` (an admin),
or a console session cookie with its CSRF token (docs/console.md)."""

from __future__ import annotations

from aiohttp import web

from bot.app.api import (
    audit,
    builder,
    conversations,
    draft_trials,
    graph_edits,
    inbox,
    leads,
    openapi,
    people,
    runs,
    splits,
    workflows,
)
from bot.app.api.common import Access, guarded

PREFIX = "/api"
MODULES = (
    conversations,
    inbox,
    leads,
    people,
    workflows,
    draft_trials,
    builder,
    graph_edits,
    runs,
    splits,
    audit,
)
"""Each module has ``routes``; ``AGENT_ROUTES`` (method, path) agents may call too, every
other route is for admins; ``OPENAPI`` paths and ``SCHEMAS`` for the description."""
AGENT_ROUTES = frozenset(
    route for module in MODULES for route in getattr(module, "AGENT_ROUTES", frozenset())
)
"""What agents may call; every other route is for admins."""


def add_api(app: web.Application) -> None:
    """Add the API's routes to ``app``, each behind the bearer or session check.

    The routes join the main router rather than a sub-application, whose middleware
    machinery would otherwise run for every request the app serves.
    """
    for module in MODULES:
        for route in module.routes:
            assert isinstance(route, web.RouteDef)
            access: Access = "agent" if (route.method, route.path) in AGENT_ROUTES else "admin"
            app.router.add_route(route.method, PREFIX + route.path, guarded(route.handler, access))
    app.router.add_get(PREFIX + "/openapi.json", openapi.serving(MODULES))
