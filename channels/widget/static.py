"""The widget's script and stylesheet, and the demo shop page at ``/``."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _file(name: str, content_type: str) -> web.RouteDef:
    path = STATIC_DIR / name

    async def serve(request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(path, headers=_HEADERS)
        response.content_type = content_type
        return response

    return web.get("/widget/" + name, serve, name="widget-" + name.replace(".", "-"))


def asset_routes() -> list[web.AbstractRouteDef]:
    return [
        _file("widget.js", "text/javascript"),
        _file("widget.css", "text/css"),
    ]


def demo_routes() -> list[web.AbstractRouteDef]:
    """``GET /``: a small shop with a checkout form that embeds the widget."""
    page = STATIC_DIR / "demo.html"

    async def demo(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(page, headers={**_HEADERS, "Content-Type": "text/html"})

    return [web.get("/", demo, name="widget-demo")]
