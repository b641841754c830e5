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
from bot.pipeline.journal import AfterStored, Intake, Normalize
from channels.telegram import TelegramChannel
from tests.fakes.telegram import TelegramFake
from tests.fakes.twilio import TwilioFake


class RecordingInbox:
    """Stands in for the inbound journal with its processor, and for the status tracker.

    A payload a channel hands to :meth:`intake` is read at once with the channel's own
    ``normalize`` and the message recorded, as the journal processor would store it (a
    payload that cannot be read is set aside in :attr:`unreadable`); it can be told to fail.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.messages: list[InboundMessage] = []
        self.payloads: list[tuple[str, str, dict[str, Any]]] = []
        self.unreadable: list[str] = []
        self.statuses: list[tuple[str, str, str | None]] = []
        self.fail_with: Exception | None = None

    def intake(self, normalize: Normalize, after_stored: AfterStored | None = None) -> Intake:
        """An intake that records what ``normalize`` reads of each payload."""

        async def intake(
            channel: str, delivery_id: str, payload: dict[str, Any], _body: str | None = None
        ) -> bool:
            if self.fail_with is not None:
                raise self.fail_with
            self.payloads.append((channel, delivery_id, payload))
            try:
                message = normalize(payload, self.clock.now())
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                self.unreadable.append(f"{delivery_id}: {type(exc).__name__}: {exc}")
                return True
            if message is not None:
                self.messages.append(message)
                if after_stored is not None:
                    await after_stored(payload)
            return True

        return intake

    async def on_status(self, sid: str, status: str, error_code: str | None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.statuses.append((sid, status, error_code))


def telegram_channel(
    settings: Settings, http: Any, clock: FakeClock, inbox: RecordingInbox
) -> TelegramChannel:
    """A Telegram channel whose updates are read and recorded by ``inbox``."""
    channel = TelegramChannel(settings, http, clock, no_intake)
    channel.intake = inbox.intake(channel.normalize, channel.after_stored)
    return channel


async def no_intake(
    _channel: str, _delivery_id: str, _payload: dict[str, Any], _body: str | None = None
) -> bool:
    raise AssertionError("replaced by the recording intake")


def make_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def inbox(clock: FakeClock) -> RecordingInbox:
    return RecordingInbox(clock)


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
