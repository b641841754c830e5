"""``GET /widget/ws``: the live transport. Hello first, then frames both ways."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import WSMsgType, web

from channels.widget.core import WidgetCore
from channels.widget.errors import BadFrame, WidgetError
from channels.widget.hub import Peer
from channels.widget.protocol import (
    ChoiceFrame,
    ClientFrame,
    TextFrame,
    error_frame,
    parse_frame,
    parse_hello,
)
from channels.widget.session import VisitorSession

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 15.0
MAX_FRAME_BYTES = 64 * 1024
CLOSE_TOO_MANY = 4429


class WebSocketEndpoint:
    def __init__(self, core: WidgetCore) -> None:
        self._core = core

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        try:
            self._core.check_origin(request)
            session, token = await self._hello(request, ws)
        except WidgetError as exc:
            logger.info("widget socket refused: %s", exc.code)
            await ws.close(code=exc.close_code, message=exc.code.encode())
            return ws
        if session is None:
            return ws
        await self._serve(ws, session, token)
        return ws

    async def _hello(
        self, request: web.Request, ws: web.WebSocketResponse
    ) -> tuple[VisitorSession | None, str]:
        try:
            msg = await ws.receive(timeout=HELLO_TIMEOUT_S)
        except TimeoutError:
            await ws.close(code=4408, message=b"hello_timeout")
            return None, ""
        if msg.type != WSMsgType.TEXT:
            if not ws.closed:
                raise BadFrame("the first frame must be a hello")
            return None, ""
        return self._core.open_session(request, parse_hello(msg.data))

    async def _serve(self, ws: web.WebSocketResponse, session: VisitorSession, token: str) -> None:
        peer = Peer(ws)
        if not self._core.hub.add(session.visitor_id, peer):
            await ws.close(code=CLOSE_TOO_MANY, message=b"too_many_connections")
            return
        try:
            await peer.start(await self._core.welcome(session, token))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = parse_frame(msg.data)
                except BadFrame as exc:
                    await ws.send_json(error_frame(exc.code, str(exc)))
                    continue
                for answer in await self._core.frames.handle(session, frame):
                    await ws.send_json(answer)
                    if answer["type"] == "ack":
                        await self._echo_to_other_tabs(session, peer, frame)
        except ConnectionError:
            logger.info("widget socket dropped", extra={"visitor_id": session.visitor_id})
        finally:
            self._core.hub.remove(session.visitor_id, peer)

    async def _echo_to_other_tabs(
        self, session: VisitorSession, sender: Peer, frame: ClientFrame
    ) -> None:
        """The visitor's other open tabs show what was just written in this one."""
        if not isinstance(frame, TextFrame | ChoiceFrame):
            return
        text = frame.text.strip() if isinstance(frame, TextFrame) else frame.label or frame.value
        message: dict[str, Any] = {
            "id": f"local-{frame.client_id}",
            "direction": "in",
            "sender_kind": "customer",
            "text": text,
            "choices": [],
            "input_type": None,
            "created_at": self._core.clock.now().isoformat(),
            "client_id": frame.client_id,
        }
        await self._core.hub.push(
            session.visitor_id, {"type": "message", "message": message}, exclude=sender
        )
