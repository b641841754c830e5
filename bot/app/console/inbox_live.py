"""``/console/inbox/live``: the inbox's WebSocket. It pushes each new message and note and
each change of a conversation (status, assignee, tags) as a frame
``{"id", "type", "conversation", "message", "agent_id"}``.

One :class:`InboxFeed` per process reads the stored events after its cursor and fans them
out to every open socket: it wakes when this process stores events or outbound messages
(the unit of work's signals) and, on PostgreSQL, when another process does (the
``relaybot_events`` and ``relaybot_outbox`` notifications already set the same signals),
and looks anyway every ``RELAYBOT_POLL_INTERVAL`` seconds, so a lost wake-up only delays.
It runs only while a socket is open. A socket opened with ``?after=N`` (the newest event
id when its page was drawn) first gets what happened since, so nothing falls between the
page and the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiohttp import WSMsgType, web

from bot.app.console.auth import is_https, session_of
from bot.app.console.http import redirect, refuse, services_of
from bot.app.console.inbox_views import message_data, row_data
from bot.domain.conversations import CONVERSATION_UNASSIGNED
from bot.domain.notes import NOTE_ADDED
from bot.domain.replies import MESSAGE_SENT
from bot.pipeline.services import SERVICES, Services
from bot.storage.app import inbox_queries
from bot.storage.app.inbox_queries import InboxEvent
from workflows.event_names import EventType

logger = logging.getLogger(__name__)

SHOWN = frozenset(
    {
        EventType.CONVERSATION_CREATED,
        EventType.CONVERSATION_ASSIGNED,
        EventType.CONVERSATION_CLOSED,
        EventType.CONVERSATION_REOPENED,
        EventType.MESSAGE_RECEIVED,
        EventType.TAG_ADDED,
        EventType.TAG_REMOVED,
        MESSAGE_SENT,
        NOTE_ADDED,
        CONVERSATION_UNASSIGNED,
    }
)
"""The event types a socket hears of."""
BATCH = 200
LOOK_BACK = 100
"""Event ids below the cursor read again: on PostgreSQL a transaction that took its ids
earlier may commit after a later one; its events are sent when they show up."""
UPDATE_GAP_S = 0.25
"""At most four reads a second while changes keep coming (and while a wake-up signal
stays set because its worker is busy): a person reads no faster."""
QUEUE_LIMIT = 1000
"""Frames a socket may have waiting; a socket that falls further behind is closed (its
page reconnects and redraws)."""
CATCH_UP = 10 * BATCH
"""The most changes a reconnecting page is sent for the time it was away."""
SESSION_CHECK_S = 30.0
"""How often an open socket checks that its session still stands."""

Frame = dict[str, Any]
Feed = asyncio.Queue[list[Frame] | int]
"""What a socket is handed: batches of frames, or the close code to close with."""
TOO_FAR_BEHIND = 4000
GOING_AWAY = 1001


class InboxFeed:
    """Reads what changed in the inbox and hands it to every open socket of this process."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._queues: set[Feed] = set()
        self._task: asyncio.Task[None] | None = None
        self._cursor = 0
        self._seen: deque[int] = deque(maxlen=LOOK_BACK * 4)

    async def join(self) -> Feed:
        """A queue of frame batches for a new socket."""
        queue: Feed = asyncio.Queue(QUEUE_LIMIT)
        if self._task is None or self._task.done():
            async with self._services.db.read() as session:
                self._cursor = await inbox_queries.newest_event_id(session)
            self._seen.clear()
            self._queues.add(queue)
            self._task = asyncio.create_task(self._run(), name="inbox-feed")
        else:
            self._queues.add(queue)
        return queue

    def leave(self, queue: Feed) -> None:
        self._queues.discard(queue)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        signals = self._services.signals
        poll = self._services.settings.poll_interval_s
        more = False
        while self._queues:
            if not more:
                waits = [asyncio.ensure_future(s.wait()) for s in (signals.events, signals.outbox)]
                try:
                    await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for wait in waits:
                        wait.cancel()
            try:
                frames, more = await self._read()
            except Exception:
                logger.exception("reading the inbox's changes failed")
                frames, more = [], False
            if frames:
                self._hand_out(frames)
            if not more:
                await asyncio.sleep(UPDATE_GAP_S)

    async def _read(self) -> tuple[list[Frame], bool]:
        """The frames of the events not handed out yet; whether more are waiting."""
        seen = set(self._seen)
        limit = BATCH + LOOK_BACK
        async with self._services.db.read() as session:
            events = await inbox_queries.events_after(
                session, max(self._cursor - LOOK_BACK, 0), SHOWN, limit
            )
            fresh = [e for e in events if e.id not in seen]
            for event in fresh:
                self._seen.append(event.id)
            if events:
                self._cursor = max(self._cursor, events[-1].id)
            return await frames_of(session, fresh), len(events) >= limit

    def _hand_out(self, frames: list[Frame]) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(frames)
            except asyncio.QueueFull:
                self._close(queue, TOO_FAR_BEHIND)

    def _close(self, queue: Feed, code: int) -> None:
        """Tell the queue's socket to close with ``code`` (before anything still queued)."""
        self._queues.discard(queue)
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(code)

    def close_all(self) -> None:
        """Close every socket (the server is stopping: the pages reconnect later)."""
        for queue in list(self._queues):
            self._close(queue, GOING_AWAY)


async def frames_of(session: Any, events: Sequence[InboxEvent]) -> list[Frame]:
    """Each event as a frame, with its conversation's row and its message as they are now."""
    if not events:
        return []
    rows = await inbox_queries.rows_by_id(session, {e.conversation_id for e in events})
    messages = await inbox_queries.messages_by_id(
        session, {e.message_id for e in events if e.message_id is not None}
    )
    names = {a.id: a.name for a in await inbox_queries.agents(session)} if messages else {}
    frames = []
    for event in events:
        row = rows.get(event.conversation_id)
        if row is None:
            continue
        message = messages.get(event.message_id) if event.message_id is not None else None
        agent_id = event.data.get("agent_id")
        frames.append(
            {
                "id": event.id,
                "type": event.type,
                "conversation": row_data(row),
                "message": message_data(message, names) if message is not None else None,
                "agent_id": agent_id if isinstance(agent_id, int) else None,
            }
        )
    return frames


_FEEDS: dict[int, InboxFeed] = {}
"""Each app's feed, by its services' id (removed when the services close)."""


def feed_of(services: Services) -> InboxFeed:
    feed = _FEEDS.get(id(services))
    if feed is None:
        feed = _FEEDS[id(services)] = InboxFeed(services)

        async def close() -> None:
            _FEEDS.pop(id(services), None)
            await feed.stop()

        services.closers.append(close)
    return feed


async def close_sockets(app: web.Application) -> None:
    """An ``on_shutdown`` hook: close the app's inbox sockets, so a stopping server does
    not wait for open console tabs."""
    feed = _FEEDS.get(id(app[SERVICES]))
    if feed is not None:
        feed.close_all()


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
