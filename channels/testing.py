"""A channel that records what it is asked to send: the test double for every channel."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from aiohttp import web

from bot.core.errors import DeliveryError
from bot.core.messages import OutboundMessage, SendResult


class RecordingChannel:
    """Implements :class:`bot.core.channel.Channel` without a platform.

    ``sent`` holds every delivered message in order. ``fail_next`` makes the next
    sends raise the given errors (a ``RateLimitedError``, a ``ForbiddenError``...),
    which are not recorded as sent. ``window``, when set, makes
    ``can_send_freeform`` behave like WhatsApp's customer-service window.
    """

    def __init__(self, name: str = "test", *, window: timedelta | None = None) -> None:
        self.name = name
        self.window = window
        self.sent: list[OutboundMessage] = []
        self.attempts: list[OutboundMessage] = []
        self.closed = False
        self._failures: deque[DeliveryError] = deque()
        self._ids = 0

    def routes(self) -> list[web.AbstractRouteDef]:
        return []

    def fail_next(self, *errors: DeliveryError) -> None:
        """Raise these errors, one per send, before sending succeeds again."""
        self._failures.extend(errors)

    async def send(self, message: OutboundMessage) -> SendResult:
        self.attempts.append(message)
        if self._failures:
            raise self._failures.popleft()
        self.sent.append(message)
        self._ids += 1
        return SendResult(external_message_ids=[f"{self.name}-{self._ids}"])

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        if self.window is None:
            return True
        return last_customer_message_at is not None and now - last_customer_message_at < self.window

    async def close(self) -> None:
        self.closed = True

    def texts(self, external_conversation_id: str | None = None) -> list[str]:
        """The text of every sent message, optionally for one conversation only."""
        return [
            m.text
            for m in self.sent
            if external_conversation_id is None
            or m.external_conversation_id == external_conversation_id
        ]
