"""The admin HTTP API under ``/api`` (bearer token ``RELAYBOT_ADMIN_TOKEN``)."""

from __future__ import annotations

from aiohttp import web

from bot.api import conversations, leads, people
from bot.api.common import api_middleware
from bot.services import SERVICES, Services


def create_api(services: Services) -> web.Application:
    """A sub-application to mount at ``/api``."""
    api = web.Application(middlewares=[api_middleware])
    api[SERVICES] = services
    for table in (conversations.routes, leads.routes, people.routes):
        api.add_routes(table)
    return api
