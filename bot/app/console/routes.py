"""Where the console's pages are served: ``/console`` and its sections, the stylesheet and
the built scripts in ``static/`` (made from ``frontend/``; see its README)."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.app.console import (
    audit_pages,
    builder_pages,
    contact_pages,
    inbox_feed,
    inbox_pages,
    run_pages,
    sign_in_pages,
    team_pages,
    workflow_pages,
)
from bot.app.console.http import PageRoute, page
from bot.app.console.style import CSS
from bot.pipeline.services import Services

SECTIONS = (
    sign_in_pages,
    workflow_pages,
    builder_pages,
    run_pages,
    inbox_pages,
    contact_pages,
    team_pages,
    audit_pages,
)
ADMIN_PAGES: tuple[PageRoute, ...] = tuple(
    route for section in SECTIONS for route in getattr(section, "ADMIN_PAGES", ())
)
"""The pages only admins may open or post to."""
SIGNED_IN_PAGES: tuple[PageRoute, ...] = tuple(
    route for section in SECTIONS for route in section.SIGNED_IN_PAGES
)
"""The pages every signed-in account may open or post to."""
STATIC = Path(__file__).with_name("static")
STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(js|css|map)$")
CONTENT_TYPES = {"js": "text/javascript", "css": "text/css", "map": "application/json"}


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(
        text=CSS,
        content_type="text/css",
        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def static_file(request: web.Request) -> web.Response:
    """A built script of ``static/``; nothing outside it, nothing else."""
    name = request.match_info["name"]
    path = STATIC / name
    if not STATIC_NAME.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=path.read_bytes(),
        content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]],
        charset="utf-8",
        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def setup_console(app: web.Application, services: Services) -> None:
    """Serve the console under ``/console``."""
    del services
    app.router.add_get("/console", sign_in_pages.home)
    app.router.add_get("/console/", sign_in_pages.home)
    app.router.add_get("/console/console.css", stylesheet)
    app.router.add_get("/console/static/{name}", static_file)
    app.router.add_get("/console/sign-in", sign_in_pages.sign_in_form)
    app.router.add_post("/console/sign-in", sign_in_pages.sign_in_submit)
    for method, path, handler in SIGNED_IN_PAGES:
        app.router.add_route(method, path, page(handler))
    for method, path, handler in ADMIN_PAGES:
        app.router.add_route(method, path, page(handler, admins_only=True))
    app.on_shutdown.append(inbox_feed.close_sockets)
