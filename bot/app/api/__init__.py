"""The admin HTTP API under ``/api`` (bearer token ``RELAYBOT_ADMIN_TOKEN``)."""

from __future__ import annotations

from aiohttp import web

from bot.app.api import conversations, leads, people
from bot.app.api.common import guarded

PREFIX = "/api"


def add_api(app: web.Application) -> None:
    """Add the API's routes to ``app``, each behind the bearer check.

    The routes join the main router rather than a sub-application, whose middleware
    machinery would otherwise run for every request the app serves.
    """
    for table in (conversations.routes, leads.routes, people.routes):
        for route in table:
            assert isinstance(route, web.RouteDef)
            app.router.add_route(route.method, PREFIX + route.path, guarded(route.handler))
