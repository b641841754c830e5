"""Widget replies reach visitors connected to any process (PostgreSQL NOTIFY).

The process that sends a reply pushes it to its own sockets and publishes it on the
``relaybot_widget`` channel; every other process pushes it to the sockets it holds
for that visitor. A reply too large for a notification is not broadcast: the visitor
sees it in the history the widget loads when it reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.storage.db import Database
from bot.storage.pg_notify import MAX_PAYLOAD, WIDGET, PgListener, publish

logger = logging.getLogger(__name__)

DeliverLocal = Callable[[str, dict[str, Any]], Coroutine[Any, Any, int]]


class WidgetBroadcast:
    """Publishes rendered widget messages to the other processes and delivers theirs here."""

    def __init__(self, db: Database, listener: PgListener, deliver_local: DeliverLocal) -> None:
        self._db = db
        self._listener = listener
        self._deliver_local = deliver_local
        self._tasks: set[asyncio.Task[int]] = set()
        listener.on(WIDGET, self._heard)

    async def publish(self, visitor_id: str, message: dict[str, Any]) -> None:
        """Tell the other processes to push ``message`` to ``visitor_id``'s sockets."""
        payload = json.dumps(
            {"origin": self._listener.origin, "visitor_id": visitor_id, "message": message},
            separators=(",", ":"),
        )
        if len(payload.encode("utf-8")) > MAX_PAYLOAD:
            logger.warning("widget reply too large to broadcast; it shows in the visitor's history")
            return
        await publish(self._db, WIDGET, payload)

    def _heard(self, payload: str) -> None:
        if not payload:
            return
        try:
            data = json.loads(payload)
            origin, visitor_id, message = (
                data["origin"],
                str(data["visitor_id"]),
                dict(data["message"]),
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("unreadable widget notification ignored")
            return
        if origin == self._listener.origin:
            return  # pushed locally already
        task = asyncio.create_task(self._deliver_local(visitor_id, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
