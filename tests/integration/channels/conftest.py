"""Channel routes served on 127.0.0.1 with a recording inbox, against the fake platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage
from bot.pipeline.journal import direct_intake
from channels.telegram import TelegramChannel
from tests.fakes.telegram import TelegramFake
from tests.fakes.twilio import TwilioFake


class RecordingInbox:
    """Stands in for ``Inbox.receive`` and the status updater; can be told to fail."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self.statuses: list[tuple[str, str, str | None]] = []
        self.fail_with: Exception | None = None

    async def receive(self, message: InboundMessage) -> object:
        if self.fail_with is not None:
            raise self.fail_with
        self.messages.append(message)
        return None

    async def on_status(self, sid: str, status: str, error_code: str | None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.statuses.append((sid, status, error_code))


def telegram_channel(
    settings: Settings, http: Any, clock: FakeClock, inbox: RecordingInbox
) -> TelegramChannel:
    """A Telegram channel storing each update in its request, into ``inbox``."""
    channel = TelegramChannel(settings, http, clock, _no_intake)
    channel.intake = direct_intake(inbox.receive, clock, channel.normalize, channel.after_stored)
    return channel


async def _no_intake(
    _channel: str, _delivery_id: str, _payload: dict[str, Any], _body: str | None = None
) -> bool:
    raise AssertionError("replaced by the direct intake")


def make_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def inbox() -> RecordingInbox:
    return RecordingInbox()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def telegram_fake() -> AsyncIterator[TelegramFake]:
    async with TelegramFake() as fake:
        yield fake


@pytest.fixture
async def twilio_fake() -> AsyncIterator[TwilioFake]:
    async with TwilioFake() as fake:
        yield fake


ServeRoutes = Callable[[list[web.AbstractRouteDef]], "Any"]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    """``await serve(routes)`` -> a TestClient for an app holding just those routes."""
    clients: list[TestClient[Any, Any]] = []

    async def start(routes: list[web.AbstractRouteDef]) -> TestClient[Any, Any]:
        app = web.Application()
        app.add_routes(routes)
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()
