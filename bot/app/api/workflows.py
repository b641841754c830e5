"""/api/workflows (agents read; admins enable and disable) and /api/me."""

from __future__ import annotations

from aiohttp import web

from bot.app.api.common import services_of
from bot.app.console.auth import caller_of
from bot.domain.workflow_store import list_workflows, set_enabled

routes = web.RouteTableDef()
AGENT_ROUTES = frozenset({("GET", "/workflows"), ("GET", "/me")})
"""The routes of this table agents may call too."""


@routes.get("/workflows")
async def workflows(request: web.Request) -> web.Response:
    items = [
        {
            "name": w.name,
            "enabled": w.enabled,
            "version": w.version,
            "trigger": w.trigger,
            "description": w.description,
            "runs": w.runs,
        }
        for w in await list_workflows(services_of(request).uow)
    ]
    return web.json_response({"items": items})


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
