"""The one protocol every customer channel implements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

import aiohttp
from aiohttp import web

from bot.core.messages import OutboundMessage, SendResult

SessionSource = aiohttp.ClientSession | Callable[[], aiohttp.ClientSession]
"""A session, or where to get it when a request is made (the app's session opens inside the loop)."""


def session_of(source: SessionSource) -> aiohttp.ClientSession:
    """The session to send through now."""
    return source if isinstance(source, aiohttp.ClientSession) else source()


@runtime_checkable
class Channel(Protocol):
    """A customer channel: receives through its routes, sends through ``send``.

    ``send`` raises :class:`bot.core.errors.RetryableDeliveryError` (rate limits, 5xx)
    or :class:`bot.core.errors.PermanentDeliveryError` (forbidden, bad request).
    """

    name: str

    def routes(self) -> list[web.AbstractRouteDef]:
        """aiohttp routes for this channel's inbound webhooks."""
        ...

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message to the customer."""
        ...

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        """Whether a free-form message may be sent now (WhatsApp's 24-hour window)."""
        ...

    async def close(self) -> None:
        """Release sessions and connections."""
        ...
