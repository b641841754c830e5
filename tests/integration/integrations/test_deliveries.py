"""Outbox handlers for webhook, email and ai.reply; the action registration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.errors import BadRequestError, UnavailableError
from integrations.actions import ACTION_NAMES, register_actions
from integrations.ai import AIReply, OpenAICompatibleProvider
from integrations.deliveries import (
    make_ai_reply_handler,
    make_email_handler,
    make_webhook_handler,
    message_id_for,
)
from integrations.email import EmailSender
from integrations.outbound_http import OutboundHttp
from integrations.webhook import WebhookSender, verify_signature
from tests.fakes.base import FakeServer, Recorded
from tests.fakes.openai import FakeOpenAI
from tests.fakes.smtp import FakeSMTP
from workflows.actions import ActionContext, ActionRegistry, DuplicateActionError


@dataclass
class Item:
    payload: dict[str, Any]
    idempotency_key: str = "run-1:hook:webhook"
    sent: list[AIReply] = field(default_factory=list)


class Receiver(FakeServer):
    def __init__(self) -> None:
        super().__init__()

        async def ok(request: web.Request, recorded: Recorded) -> web.Response:
            return web.Response(status=204)

        self.route("POST", "/in", ok)


async def test_webhook_handler_signs_and_uses_the_item_key(outbound: OutboundHttp) -> None:
    clock = FakeClock()
    handler = make_webhook_handler(WebhookSender(outbound, clock=clock))
    async with Receiver() as hook:
        item = Item(
            {"url": f"{hook.url}/in", "body": {"lead": 1}, "secret": "s", "headers": {"X-A": "b"}}
        )
        await handler(item)
        (got,) = hook.received("/in")
    assert got.headers["X-Relaybot-Delivery"] == "run-1:hook:webhook"
    assert got.headers["X-A"] == "b"
    assert verify_signature("s", got.headers["X-Relaybot-Signature"], got.body, clock.now())


async def test_malformed_payloads_are_bad_requests(
    outbound: OutboundHttp, make_settings: Callable[..., Settings]
) -> None:
    with pytest.raises(BadRequestError, match="WebhookJob"):
        await make_webhook_handler(WebhookSender(outbound))(Item({"body": {}}))
    with pytest.raises(BadRequestError, match="EmailJob"):
        await make_email_handler(EmailSender(make_settings()))(
            Item({"to": [], "subject": "x", "text": "y"})
        )


async def test_email_handler_keeps_the_message_id_across_retries(
    make_settings: Callable[..., Settings],
) -> None:
    async with FakeSMTP() as smtp:
        settings = make_settings(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp.port,
            SMTP_FROM="bot@example.com",
            SMTP_STARTTLS=False,
        )
        handler = make_email_handler(EmailSender(settings))
        item = Item(
            {"to": ["a@example.com"], "subject": "VIP", "text": "t", "html": "<p>t</p>"},
            "run 9/notify",
        )
        await handler(item)
        await handler(item)
    ids = {m.message["Message-ID"] for m in smtp.messages}
    assert ids == {message_id_for("run 9/notify")} == {"<run.9.notify@relaybot>"}


async def test_ai_reply_handler(
    outbound: OutboundHttp, make_settings: Callable[..., Settings]
) -> None:
    loaded: list[tuple[int, int]] = []

    async def load_history(conversation_id: int, limit: int) -> list[dict[str, Any]]:
        loaded.append((conversation_id, limit))
        return [{"role": "customer", "text": "hello"}]

    async def send_reply(delivery: Any, reply: AIReply) -> None:
        delivery.sent.append(reply)

    ai = FakeOpenAI()
    async with ai:
        provider = OpenAICompatibleProvider(
            outbound, make_settings(AI_API_BASE_URL=ai.base_url, AI_API_KEY="sk-fake")
        )
        handler = make_ai_reply_handler(provider, load_history, send_reply)
        item = Item({"conversation_id": 5, "instructions": "Be kind", "fallback": "One moment"})
        await handler(item)
        ai.fail_next(500)
        await handler(item)
        ai.fail_next(500)
        with pytest.raises(UnavailableError, match="no fallback"):
            await handler(Item({"conversation_id": 5, "instructions": "Be kind"}))
    assert item.sent == [
        AIReply("You said: hello", False, None),
        AIReply("One moment", True, "the AI provider answered HTTP 500"),
    ]
    assert loaded[0] == (5, 20)


async def test_register_actions(
    http: aiohttp.ClientSession, outbound: OutboundHttp, make_settings: Callable[..., Settings]
) -> None:
    registry = ActionRegistry()
    settings = make_settings()
    register_actions(registry, session=http, outbound=outbound, settings=settings)
    assert registry.names() == sorted(ACTION_NAMES)
    with pytest.raises(DuplicateActionError):
        register_actions(registry, session=http, outbound=outbound, settings=settings)
    ctx = ActionContext(run_id=1, step_id="s", idempotency_key="k")
    shopify = registry.get("shopify.order_lookup")
    stripe = registry.get("stripe.refund")
    assert shopify is not None
    assert stripe is not None
    assert (await shopify({"order_number": "1"}, ctx)).reason == "shopify is not configured"
    assert (await stripe({"charge": "ch"}, ctx)).reason == "stripe is not configured"
