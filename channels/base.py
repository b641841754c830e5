"""The one protocol every customer channel implements."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.messages import OutboundMessage, SendResult


@runtime_checkable
class Channel(Protocol):
    """A customer channel: receives through its routes, sends through ``send``.

    ``send`` raises :class:`bot.errors.RetryableDeliveryError` (rate limits, 5xx)
    or :class:`bot.errors.PermanentDeliveryError` (forbidden, bad request).
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
