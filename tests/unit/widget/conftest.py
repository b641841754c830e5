"""A widget channel on a loopback test server, with recording inbox, history and events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage
from channels.widget import WidgetChannel

IDENTITY_SECRET = "site-identity-secret"
SHOP = "http://shop.test"


@dataclass
class Recorder:
    """Stands in for the inbox and the message store."""

    received: list[InboundMessage] = field(default_factory=list)
    stored: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    gate: asyncio.Event | None = None
    fail: bool = False

    async def receive(self, message: InboundMessage) -> object:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("database is down")
        self.received.append(message)
        if message.external_message_id not in self.seen:
            self.seen.add(message.external_message_id)
            self.store(
                message.external_conversation_id,
                "in",
                message.text or "",
                external_message_id=message.external_message_id,
            )
        return None

    def store(self, visitor_id: str, direction: str, text: str, **extra: Any) -> None:
        items = self.stored.setdefault(visitor_id, [])
        items.append(
            {
                "id": sum(len(v) for v in self.stored.values()) + 1,
                "direction": direction,
                "sender_kind": "customer" if direction == "in" else "bot",
                "text": text,
                "choices": [],
                "input_type": None,
                "created_at": "2026-01-05T09:00:00+00:00",
                **extra,
            }
        )

    async def history(self, visitor_id: str) -> list[dict[str, Any]]:
        return list(self.stored.get(visitor_id, []))

    async def visitor_event(self, visitor_id: str, event_type: str, data: dict[str, Any]) -> None:
        self.events.append((visitor_id, event_type, data))


@dataclass
class WidgetRig:
    channel: WidgetChannel
    client: TestClient[web.Request, web.Application]
    clock: FakeClock
    rec: Recorder

    async def connect(self, hello: dict[str, Any] | None = None, origin: str = SHOP) -> Any:
        ws = await self.client.ws_connect("/widget/ws", headers={"Origin": origin})
        await ws.send_json({"type": "hello", **(hello or {})})
        return ws


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "RELAYBOT_SECRET_KEY": "test-secret-key",
        "RELAYBOT_WIDGET_IDENTITY_SECRET": IDENTITY_SECRET,
        "RELAYBOT_WIDGET_ALLOWED_ORIGINS": [SHOP],
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
async def rig() -> AsyncIterator[WidgetRig]:
    clock = FakeClock()
    rec = Recorder()
    channel = WidgetChannel(
        make_settings(), clock, rec.receive, rec.history, rec.visitor_event, rate_capacity=3
    )
    app = web.Application()
    app.add_routes(channel.routes())
    app.add_routes(channel.demo_routes())
    app.on_shutdown.append(lambda _app: channel.close())
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield WidgetRig(channel, client, clock, rec)
