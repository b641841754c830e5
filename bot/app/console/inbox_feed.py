"""The inbox's live feed: one per process, it reads the stored events after its cursor
and hands each change to every open inbox socket of the process
(:mod:`bot.app.console.inbox_live`) as a frame
``{"id", "type", "conversation", "message", "agent_id"}``.

It wakes when this process stores events or outbound messages (the unit of work's
signals) and, on PostgreSQL, when another process does (the ``relaybot_events`` and
``relaybot_outbox`` notifications already set the same signals), and looks anyway every
``RELAYBOT_POLL_INTERVAL`` seconds, so a lost wake-up only delays. It runs only while a
socket is open, and adds nothing to the message path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.app.console.inbox_shapes import message_data, row_data
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
page reconnects and catches up)."""

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
        self._start = 0
        """The newest event when the feed (re)started: sockets catch up on older ones."""
        self._seen: deque[int] = deque(maxlen=LOOK_BACK * 4)

    async def join(self) -> Feed:
        """A queue of frame batches for a new socket."""
        queue: Feed = asyncio.Queue(QUEUE_LIMIT)
        if self._task is None or self._task.done():
            async with self._services.db.read() as session:
                self._cursor = self._start = await inbox_queries.newest_event_id(session)
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
            fresh = [e for e in events if e.id > self._start and e.id not in seen]
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
