"""Plugs the integrations into the app: actions, outbox handlers and the AI agent."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.pipeline.ai_conversations import AiConversations
from bot.pipeline.run_store import AI_REPLY, WEBHOOK
from bot.pipeline.services import Services
from integrations.actions import register_actions
from integrations.ai import OpenAICompatibleProvider
from integrations.ai_agent_runtime import AiAgentRuntime
from integrations.ai_replies import AiReplyHandler
from integrations.deliveries import EMAIL_KIND, make_email_handler, make_webhook_handler
from integrations.email import EmailSender
from integrations.outbound_http import OutboundHttp
from integrations.webhook import WebhookSender
from workflows.event_names import EventType

logger = logging.getLogger(__name__)


def subscribe_ai_agent(services: Services) -> AiAgentRuntime:
    """Answer customers of conversations assigned to ``ai_agent`` (call before the runner subscribes)."""
    runtime = AiAgentRuntime(
        AiConversations(services.db, services.uow),
        ai_configured=bool(services.settings.ai_api_base_url),
    )
    services.events.subscribe(runtime, lambda type_, _data: type_ == EventType.MESSAGE_RECEIVED)
    return runtime


def install_integrations(services: Services) -> None:
    """Register the actions and outbox handlers; run inside the event loop (uses ``services.http``).

    URLs from workflows and settings (webhooks, ``http_request``, the AI endpoint) go
    through one guarded :class:`OutboundHttp`, closed with the services.
    """
    settings = services.settings
    outbound = OutboundHttp(settings.webhook_allowed_hosts)
    services.closers.append(outbound.close)
    register_actions(services.actions, session=services.http, outbound=outbound, settings=settings)
    services.outbox.register(
        WEBHOOK,
        make_webhook_handler(
            WebhookSender(outbound, timeout_s=settings.webhook_timeout_s, clock=services.clock)
        ),
    )
    sender = EmailSender(settings)
    if sender.configured:
        services.outbox.register(EMAIL_KIND, make_email_handler(sender))
    provider = OpenAICompatibleProvider(outbound, settings) if settings.ai_api_base_url else None
    chats = AiConversations(services.db, services.uow)
    services.outbox.register(AI_REPLY, AiReplyHandler(chats, provider))


def setup_integrations(app: web.Application, services: Services) -> None:
    subscribe_ai_agent(services)

    async def on_startup(app: web.Application) -> None:
        install_integrations(services)

    app.on_startup.append(on_startup)
