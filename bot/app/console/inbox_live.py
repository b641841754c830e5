"""``/console/inbox/live``: the inbox's WebSocket, behind the page guard (signed-in
accounts only) and refused to other origins. It forwards what the process's feed
(:mod:`bot.app.console.inbox_feed`) reads. A socket opened with ``?after=N`` (the newest
event id when its page was drawn, or the last its page heard) first gets what happened
since, so nothing falls between the page and the socket.
"""

from __future__ import annotations

import asyncio
from collections import deque

from aiohttp import WSMsgType, web

from bot.app.console.auth import is_https, session_of
from bot.app.console.http import redirect, refuse, services_of
from bot.app.console.inbox_feed import BATCH, SHOWN, Feed, Frame, feed_of, frames_of
from bot.storage.app import inbox_queries

CATCH_UP = 10 * BATCH
"""The most changes a reconnecting page is sent for the time it was away."""
SESSION_CHECK_S = 30.0
"""How often an open socket checks that its session still stands."""


def same_origin(request: web.Request, origin: str) -> bool:
    """Whether ``origin`` is this console's own: the address the browser used, or the
    public URL."""
    services = services_of(request)
    scheme = "https" if is_https(request, services.settings) else "http"
    own = {f"{scheme}://{request.host}".lower(), services.settings.public_url.rstrip("/").lower()}
    return origin.rstrip("/").lower() in own


async def live_socket(request: web.Request) -> web.StreamResponse:
    """The socket (behind the page guard: signed-in accounts only)."""
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(request, origin):
        return refuse(request, None, 403, "Refused", "This socket is for the console's own pages.")
    socket = web.WebSocketResponse(heartbeat=30.0)
    if not socket.can_prepare(request).ok:
        return redirect("/console/inbox")
    after = request.query.get("after", "")
    await socket.prepare(request)
    feed = feed_of(services_of(request))
    queue = await feed.join()
    try:
        sent = Sent()
        if after.isdigit() and len(after) < 19:
            await _catch_up(request, socket, sent, int(after))
        await _pump(request, socket, queue, sent)
    finally:
        feed.leave(queue)
        if not socket.closed:
            await socket.close()
    return socket


async def _catch_up(
    request: web.Request, socket: web.WebSocketResponse, sent: Sent, after: int
) -> None:
    """Send what happened since the page was drawn (at most :data:`CATCH_UP` changes: a
    page away longer than that is better reloaded)."""
    for _ in range(CATCH_UP // BATCH):
        async with services_of(request).db.read() as session:
            caught = await inbox_queries.events_after(session, after, SHOWN, BATCH)
            frames = await frames_of(session, caught)
        await sent.send(socket, frames)
        if len(caught) < BATCH:
            return
        after = caught[-1].id


class Sent:
    """The events a socket was sent (the newest few thousand), so none goes twice."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    async def send(self, socket: web.WebSocketResponse, frames: list[Frame]) -> None:
        for frame in frames:
            if frame["id"] in self._ids:
                continue
            await socket.send_json(frame)
            self._ids.add(frame["id"])
            self._order.append(frame["id"])
            if len(self._order) > 4 * BATCH:
                self._ids.discard(self._order.popleft())


async def _pump(
    request: web.Request,
    socket: web.WebSocketResponse,
    queue: Feed,
    sent: Sent,
) -> None:
    """Forward the feed's frames until the browser goes, the feed drops the socket or
    the session ends; what the browser sends is ignored."""
    reading = asyncio.ensure_future(_until_closed(socket))
    try:
        while not reading.done():
            getting = asyncio.ensure_future(queue.get())
            await asyncio.wait(
                {reading, getting}, timeout=SESSION_CHECK_S, return_when=asyncio.FIRST_COMPLETED
            )
            if not getting.done():
                getting.cancel()
                if not reading.done() and await session_of(request) is None:
                    await socket.close(code=4401, message=b"signed out")
                continue
            frames = getting.result()
            if isinstance(frames, int):
                await socket.close(code=frames)
                return
            await sent.send(socket, frames)
    finally:
        reading.cancel()


async def _until_closed(socket: web.WebSocketResponse) -> None:
    async for message in socket:
        if message.type == WSMsgType.ERROR:
            return
