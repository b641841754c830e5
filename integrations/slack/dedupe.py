"""Slack retries an event it thinks we missed; each ``event_id`` is handled once."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

logger = logging.getLogger(__name__)


class SeenEvents:
    """A bounded set of recently seen event ids (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True when it was not seen before."""
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True


class DropRetriedEvents(AsyncMiddleware):
    """Acknowledges a repeated ``event_callback`` at once, without running listeners.

    Runs after Bolt's signature check, so forged requests never enter the seen-set.
    """

    def __init__(self, seen: SeenEvents | None = None) -> None:
        self.seen = seen or SeenEvents()

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not self.seen.first_time(event_id):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            logger.info("dropping repeated slack event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        return await next()
