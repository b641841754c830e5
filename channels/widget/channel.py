"""The web chat widget as a :class:`bot.core.channel.Channel`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.errors import ConfigError
from bot.core.messages import OutboundMessage, SendResult
from channels.widget import static
from channels.widget.core import TYPING_FOR, WidgetCore
from channels.widget.http import HttpEndpoints
from channels.widget.hub import ConnectionHub
from channels.widget.limits import Cooldown, RateLimiter
from channels.widget.origins import OriginPolicy
from channels.widget.protocol import outbound_dict
from channels.widget.service import CHANNEL, FrameHandler, History, Receive, VisitorEvent
from channels.widget.session import SessionIssuer
from channels.widget.tokens import TokenSigner
from channels.widget.ws import WebSocketEndpoint

logger = logging.getLogger(__name__)


class WidgetChannel:
    """Visitors chat from any page through ``/widget/ws`` (or the HTTP fallback).

    ``receive`` stores a visitor message (the inbox), ``history`` lists a visitor's stored
    messages, ``visitor_event`` records a behavioral event. The external conversation id
    is the visitor id. ``secret_key`` returns the deployment's key once it is known; without
    it, ``RELAYBOT_SECRET_KEY`` must be set.
    """

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        receive: Receive,
        history: History,
        visitor_event: VisitorEvent,
        *,
        secret_key: Callable[[], str] | None = None,
        event_cooldown: timedelta = timedelta(minutes=5),
        max_text_length: int = 4000,
        rate_capacity: int = 10,
        rate_per_second: float = 0.5,
        session_rate_capacity: int = 60,
        session_rate_per_second: float = 0.5,
        token_max_age: timedelta = timedelta(days=180),
        history_limit: int = 200,
    ) -> None:
        identity = settings.widget_identity_secret
        if secret_key is None:
            if settings.secret_key is None:
                raise ConfigError("the widget needs RELAYBOT_SECRET_KEY or a key source")
            secret_key = settings.secret_key.get_secret_value
        self._clock = clock
        self.core = WidgetCore(
            clock=clock,
            origins=OriginPolicy(settings),
            sessions=SessionIssuer(
                TokenSigner(secret_key, token_max_age),
                clock,
                identity.get_secret_value() if identity else None,
            ),
            frames=FrameHandler(
                clock,
                receive,
                visitor_event,
                RateLimiter(clock, rate_capacity, rate_per_second),
                Cooldown(clock, event_cooldown),
                max_text_length,
            ),
            hub=ConnectionHub(),
            history=history,
            session_rate=RateLimiter(clock, session_rate_capacity, session_rate_per_second),
            trust_proxy=settings.trust_proxy,
            history_limit=history_limit,
        )

    @property
    def hub(self) -> ConnectionHub:
        return self.core.hub

    def routes(self) -> list[web.AbstractRouteDef]:
        """``/widget/ws``, the HTTP fallback under ``/widget/`` and the static assets."""
        return [
            web.get("/widget/ws", WebSocketEndpoint(self.core).handle),
            *HttpEndpoints(self.core).routes(),
            *static.asset_routes(),
        ]

    def demo_routes(self) -> list[web.AbstractRouteDef]:
        """``GET /``: the demo shop page embedding the widget."""
        return static.demo_routes()

    async def send(self, message: OutboundMessage) -> SendResult:
        """Push to the visitor's open sockets; offline visitors see it in their history."""
        message_id = str(message.message_id) if message.message_id is not None else None
        message_id = message_id or f"live-{uuid.uuid4().hex}"
        if message.metadata.get("typing") and not message.text:
            await self.typing(message.external_conversation_id)
            return SendResult(status="sent")
        payload = outbound_dict(message, message_id, self._clock.now().isoformat())
        self.core.typing_until.pop(message.external_conversation_id, None)
        delivered = await self.deliver_local(message.external_conversation_id, payload)
        return SendResult(
            external_message_ids=[message_id], status="sent" if delivered else "stored"
        )

    async def deliver_local(self, visitor_id: str, message: dict[str, Any]) -> int:
        """Push one rendered message to this process's sockets of ``visitor_id``.

        With several processes, a broadcast (e.g. PostgreSQL NOTIFY) calls this in each.
        """
        return await self.core.hub.push(visitor_id, {"type": "message", "message": message})

    async def typing(self, visitor_id: str) -> int:
        """Show the typing indicator (until the next message, or a few seconds)."""
        self.core.typing_until[visitor_id] = self._clock.now() + TYPING_FOR
        return await self.core.hub.push(visitor_id, {"type": "typing"})

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        return True

    async def close(self) -> None:
        """Close every visitor socket; browsers reconnect with backoff."""
        await self.core.hub.close_all()
