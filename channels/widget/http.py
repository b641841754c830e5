"""The HTTP fallback: open a session, send frames, poll for new messages (with CORS)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from channels.widget.core import WidgetCore
from channels.widget.errors import BadFrame, WidgetError
from channels.widget.protocol import error_frame, parse_frame, parse_hello

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
Reply = tuple[Any, int, dict[str, str]]
Handler = Callable[[web.Request], Awaitable[Reply]]
STATUS_BY_CODE = {"rate_limited": 429, "too_long": 413, "unavailable": 503}


def _cors(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


class HttpEndpoints:
    def __init__(self, core: WidgetCore) -> None:
        self._core = core

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.post("/widget/session", self._guard(self.open_session)),
            web.post("/widget/messages", self._guard(self.post_message)),
            web.get("/widget/messages", self._guard(self.poll)),
            web.options("/widget/session", self.preflight),
            web.options("/widget/messages", self.preflight),
        ]

    def _guard(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def guarded(request: web.Request) -> web.Response:
            origin = request.headers.get("Origin")
            try:
                self._core.check_origin(request)
                body, status, headers = await handler(request)
            except WidgetError as exc:
                body, status, headers = error_frame(exc.code, str(exc)), exc.http_status, {}
                if not self._core.allows(request):
                    origin = None
            return web.json_response(body, status=status, headers={**_cors(origin), **headers})

        return guarded

    async def preflight(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin")
        if not self._core.allows(request):
            return web.json_response(
                error_frame("origin_refused", "origin not allowed"), status=403
            )
        return web.Response(status=204, headers=_cors(origin))

    async def _json(self, request: web.Request) -> Any:
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise BadFrame("the request body is too large")
        try:
            return json.loads(raw or b"{}")
        except (ValueError, RecursionError) as exc:
            raise BadFrame("the request body is not JSON") from exc

    async def open_session(self, request: web.Request) -> Reply:
        data = await self._json(request)
        hello = parse_hello({**data, "type": "hello"} if isinstance(data, dict) else data)
        session, token = self._core.open_session(request, hello)
        return await self._core.welcome(session, token), 200, {}

    async def post_message(self, request: web.Request) -> Reply:
        session = self._core.sessions.from_bearer(request.headers.get("Authorization"))
        frame = parse_frame(await self._json(request))
        frames = await self._core.frames.handle(session, frame)
        status, headers = 200, {}
        for answer in frames:
            if answer.get("type") == "error":
                status = STATUS_BY_CODE.get(answer["code"], 400)
                if "retry_after" in answer:
                    headers["Retry-After"] = str(max(1, round(answer["retry_after"])))
        return {"frames": frames}, status, headers

    async def poll(self, request: web.Request) -> Reply:
        session = self._core.sessions.from_bearer(request.headers.get("Authorization"))
        messages = await self._core.messages(session)
        since = request.query.get("since")
        if since:
            ids = [m["id"] for m in messages]
            if since in ids:
                messages = messages[ids.index(since) + 1 :]
        body = {"messages": messages, "typing": self._core.is_typing(session.visitor_id)}
        return body, 200, {"Cache-Control": "no-store"}
