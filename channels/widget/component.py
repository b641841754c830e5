"""Plugs the web chat widget into the app: always on, no credentials needed."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.core.messages import InboundMessage, OutboundMessage, SendResult
from bot.domain.stored_messages import StoredMessages
from bot.pipeline.journal import message_payload, read_message_payload
from bot.pipeline.services import Services
from channels.widget.broadcast import WidgetBroadcast
from channels.widget.channel import WidgetChannel
from channels.widget.service import CHANNEL
from channels.widget.store import WidgetStore

logger = logging.getLogger(__name__)

WIDGET = web.AppKey("widget_channel", WidgetChannel)


class AppWidgetChannel(WidgetChannel):
    """The widget backed by the inbox and the stored conversation."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._store = WidgetStore(StoredMessages(services.db))
        super().__init__(
            services.settings,
            services.clock,
            receive=self._receive,
            history=self._store.history,
            visitor_event=self._visitor_event,
            secret_key=services.secret_key.value,
        )
        self._broadcast = (
            WidgetBroadcast(services.db, services.listener, super().deliver_local)
            if services.listener is not None
            else None
        )

    async def _receive(self, message: InboundMessage) -> object:
        """Commit the visitor's message to the journal (the processor stores it, as it does
        every channel's); the typing indicator shows while workflows answer."""
        fresh = await self._services.journal.append(
            CHANNEL, message.external_message_id, message_payload(message)
        )
        if fresh:
            await self.typing(message.external_conversation_id)
        return fresh

    async def _visitor_event(self, visitor_id: str, event_type: str, data: dict[str, Any]) -> None:
        await self._services.inbox.visitor_event(CHANNEL, visitor_id, event_type, data)

    async def deliver_local(self, visitor_id: str, message: dict[str, Any]) -> int:
        """Push to this process's sockets, and have the other processes push to theirs."""
        pushed = await super().deliver_local(visitor_id, message)
        if self._broadcast is not None:
            await self._broadcast.publish(visitor_id, message)
        return pushed

    async def send(self, message: OutboundMessage) -> SendResult:
        """Say who wrote a stored message (bot or agent, and the agent's name)."""
        if message.message_id is not None and "sender_kind" not in message.metadata:
            sender = await self._store.sender(message.message_id)
            if sender is not None:
                message = message.model_copy(update={"metadata": {**message.metadata, **sender}})
        return await super().send(message)


def setup_widget(app: web.Application, services: Services) -> None:
    """The widget's routes, the demo page at ``/`` and its channel (outbound via the outbox)."""
    widget = AppWidgetChannel(services)
    services.journal_processor.register(CHANNEL, read_message_payload)
    services.add_channel(widget)
    app[WIDGET] = widget
    app.router.add_routes(widget.routes())
    app.router.add_routes(widget.demo_routes())

    async def close_sockets(app: web.Application) -> None:
        await widget.close()

    app.on_shutdown.append(close_sockets)
    logger.info("widget channel on")
