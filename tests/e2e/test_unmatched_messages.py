"""A customer's message is never met with silence, on every channel, with the shipped examples.

A message no waiting question takes and no workflow starts on fires ``message.unmatched``;
the support example answers it. Each test goes in signed as the platform signs and
reads what the customer got from the fake platform (or the widget's own socket).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.pipeline.services import SERVICES
from bot.pipeline.settle import settle
from channels.component import setup_channels
from channels.widget.component import setup_widget
from tests.conftest import make_settings
from tests.fakes.telegram import TelegramFake, message_update
from tests.fakes.telegram import signed_headers as telegram_headers
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioFake, inbound_params
from tests.fakes.twilio import signed_headers as twilio_headers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
PUBLIC = "https://relay.example.com"
SECRET = "webhook-secret_1"
SHOP = "http://shop.test"
BUSY = "Everyone is busy at the moment. We'll answer here as soon as someone is free."
STILL_WAITING = (
    "Thanks, we have your message. A colleague will answer here as soon as someone is free."
)

Client = TestClient[Any, Any]


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """Every shipped example, as a team would run them together."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in EXAMPLES.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    return folder


@asynccontextmanager
async def serve(settings: Any, clock: FakeClock, *components: Any) -> AsyncIterator[Client]:
    app = create_app(
        settings, clock=clock, components=[setup_engine, *components], background=False
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def settled(client: Client) -> None:
    server = client.server
    assert isinstance(server, TestServer)
    await settle(server.app[SERVICES])


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramFake]:
    server = TelegramFake()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioFake]:
    server = TwilioFake()
    await server.start()
    yield server
    await server.stop()


async def test_telegram_a_message_after_the_flow_ended_is_answered(
    database_url: str, clock: FakeClock, telegram: TelegramFake, workflows: Path
) -> None:
    settings = make_settings(
        database_url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        RELAYBOT_PUBLIC_URL=PUBLIC,
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
    )
    async with serve(settings, clock, setup_channels) as client:
        for update_id, text in enumerate(
            ("hi", "Talk to a person", "hello? anyone there?"), start=1
        ):
            response = await client.post(
                "/webhooks/telegram",
                json=message_update(update_id, text=text),
                headers=telegram_headers(SECRET),
            )
            assert response.status == 200
            await settled(client)
        texts = [str(call["text"]) for call in telegram.calls("sendMessage")]
        # no agent is free: the support flow says so and ends; the next message is still answered
        assert texts[-2:] == [BUSY, STILL_WAITING]


async def test_whatsapp_a_message_after_the_flow_ended_is_answered(
    sqlite_url: str, clock: FakeClock, twilio: TwilioFake, workflows: Path
) -> None:
    settings = make_settings(
        sqlite_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_API_BASE_URL=twilio.url,
        RELAYBOT_PUBLIC_URL=PUBLIC,
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
    )
    async with serve(settings, clock, setup_channels) as client:
        for number, text in enumerate(("hi", "3", "hello? anyone there?"), start=1):
            params = inbound_params(f"SM{number:032x}", body=text)
            response = await client.post(
                "/webhooks/twilio",
                data=params,
                headers=twilio_headers(PUBLIC + "/webhooks/twilio", params),
            )
            assert response.status == 200
            await settled(client)
        bodies = [form.get("Body", "") for form in twilio.messages()]
        assert bodies[-2:] == [BUSY, STILL_WAITING]


class Visitor:
    """The widget's socket: what the visitor sends, and the messages pushed to them."""

    def __init__(self, ws: Any, client: Client) -> None:
        self.ws = ws
        self.client = client
        self.pushed: list[str] = []

    async def _until(self, done: Any) -> None:
        while not done():
            frame = await self.ws.receive_json(timeout=10)  # a safety bound, not a wait
            if frame["type"] == "message":
                self.pushed.append(frame["message"]["text"])
            elif frame["type"] in ("ack", "event_ack"):
                self._answered = True

    async def send(self, frame: dict[str, Any]) -> None:
        """Send ``frame``, wait for its acknowledgement and let everything it causes run."""
        self._answered = False
        await self.ws.send_json(frame)
        await self._until(lambda: self._answered)
        await settled(self.client)

    async def take(self, count: int) -> list[str]:
        """The next ``count`` messages pushed to the visitor (the server sent them already)."""
        await self._until(lambda: len(self.pushed) >= count)
        taken, self.pushed = self.pushed[:count], self.pushed[count:]
        return taken


async def test_widget_the_visitor_who_writes_after_the_checkout_tips_is_answered(
    database_url: str, clock: FakeClock, workflows: Path
) -> None:
    settings = make_settings(
        database_url,
        RELAYBOT_SECRET_KEY="widget-test-key",
        RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP],
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
    )
    async with serve(settings, clock, setup_widget) as client:
        ws = await client.ws_connect("/widget/ws", headers={"Origin": SHOP})
        await ws.send_json({"type": "hello"})
        assert (await ws.receive_json(timeout=10))["type"] == "welcome"
        visitor = Visitor(ws, client)
        await visitor.send(
            {"type": "event", "event": "form_frustration", "url": f"{SHOP}/checkout"}
        )
        assert await visitor.take(1) == [
            "Having trouble with checkout? I can help you finish your order."
        ]
        await visitor.send(
            {"type": "choice", "client_id": "c1", "value": "help", "label": "Yes, please help"}
        )
        (tips,) = await visitor.take(1)
        assert tips.endswith(
            "If it still fails, write here what happens and a colleague will help."
        )
        # the visitor writes as the tips ask: the checkout flow takes it and hands over
        await visitor.send(
            {"type": "message", "client_id": "c2", "text": "It says my card is invalid"}
        )
        busy = "Everyone is busy at the moment. A colleague will answer here as soon as someone is free."
        assert await visitor.take(1) == [busy]
        # that flow has ended; the next message is taken by no run and still answered
        await visitor.send({"type": "message", "client_id": "c3", "text": "Still there?"})
        assert await visitor.take(1) == [STILL_WAITING]
        await ws.close()
