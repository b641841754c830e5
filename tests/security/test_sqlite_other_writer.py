"""Another process holding SQLite's write lock does not freeze the server.

A plain ``sqlite3`` connection on a thread of its own (a CLI command, a backup) holds
the write lock. Meanwhile ``/healthz`` and reads keep answering; a webhook that cannot be
stored in time gets 503 with ``Retry-After`` and is stored once when delivered again,
or, when the lock goes before its deadline, a 2xx after the lock is released, its
message stored. The holder lets go when the test says so, or by itself after
``HOLD_BOUND_S``: a server that froze while waiting for the lock could not answer in the
meantime, so the holder's ``released_on_request`` stays False.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, text

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.pipeline.services import SERVICES, Services
from bot.pipeline.settle import settle
from bot.storage.models import InboundJournalEntry, Message
from bot.storage.sqlite_inline import database_path
from channels.component import setup_channels
from channels.widget.component import setup_widget
from tests.conftest import make_settings
from tests.fakes import telegram, twilio

HOLD_BOUND_S = 8.0
"""The holder lets go by itself after this long (a safety bound, never reached when the server works)."""
ANSWER_BOUND_S = 1.0
"""Each request made while the lock is held must be answered within this bound."""
SAFETY_S = 20.0
SECRET = "webhook-secret_1"
PUBLIC = "https://relay.example.com"
SHOP = "http://shop.test"

Client = TestClient[Any, Any]


class OtherWriter:
    """Another writer of the database file: holds the write lock until :meth:`release`."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._holding = threading.Event()
        self._release = threading.Event()
        self.released_on_request: bool | None = None
        self._thread = threading.Thread(target=self._hold, name="other-writer", daemon=True)

    def _hold(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE inbound_journal SET error = error")
            self._holding.set()
            self.released_on_request = self._release.wait(HOLD_BOUND_S)
            connection.execute("COMMIT")
        finally:
            connection.close()

    def release(self) -> None:
        self._release.set()

    async def __aenter__(self) -> OtherWriter:
        self._thread.start()
        assert await asyncio.to_thread(self._holding.wait, SAFETY_S)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._release.set()
        await asyncio.to_thread(self._thread.join)


def app_settings(sqlite_url: str, tmp_path: Path, store_timeout: float) -> Settings:
    return make_settings(
        sqlite_url,
        RELAYBOT_PUBLIC_URL=PUBLIC,
        RELAYBOT_WORKFLOWS_DIR=str(tmp_path),
        RELAYBOT_STORE_TIMEOUT=store_timeout,
        TELEGRAM_BOT_TOKEN="123456:test-token",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
        TWILIO_ACCOUNT_SID=twilio.ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=twilio.AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_API_BASE_URL="http://127.0.0.1:9",
        RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP],
    )


@asynccontextmanager
async def running(settings: Settings, clock: FakeClock, background: bool) -> AsyncIterator[Client]:
    app = create_app(
        settings,
        clock=clock,
        components=[setup_engine, setup_channels, setup_widget],
        background=background,
    )
    async with TestClient(TestServer(app)) as client:
        yield client


def services_of(client: Client) -> Services:
    server = client.server
    assert isinstance(server, TestServer)
    return server.app[SERVICES]


async def still_serving(client: Client) -> None:
    """Health checks and a read answer while the lock is held, each within its bound."""
    for _ in range(3):
        health = await asyncio.wait_for(client.get("/healthz"), ANSWER_BOUND_S)
        assert health.status == 200
        assert (await health.json())["database"] == "up"
    async with asyncio.timeout(ANSWER_BOUND_S), services_of(client).db.read() as session:
        await session.scalar(select(func.count()).select_from(Message))


async def telegram_update(client: Client, update_id: int, text: str) -> ClientResponse:
    update = telegram.message_update(update_id, text=text)
    return await client.post(
        "/webhooks/telegram", json=update, headers=telegram.signed_headers(SECRET)
    )


async def whatsapp_message(client: Client, sid: str, body: str) -> ClientResponse:
    params = twilio.inbound_params(sid, body=body)
    headers = twilio.signed_headers(PUBLIC + "/webhooks/twilio", params)
    return await client.post("/webhooks/twilio", data=params, headers=headers)


async def stored(client: Client, text: str) -> int:
    async with services_of(client).db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "in", Message.text == text)
        )
    return int(count or 0)


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` on a counter the code keeps (it has no event to wait on)."""
    async with asyncio.timeout(SAFETY_S):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def assert_retry_later(response: ClientResponse) -> None:
    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1


async def test_telegram_update_refused_for_now_then_stored_once(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = app_settings(sqlite_url, tmp_path, store_timeout=0.2)
    path = database_path(sqlite_url)
    assert path is not None
    async with running(settings, clock, background=True) as client:
        async with OtherWriter(path) as writer:
            refused = await asyncio.wait_for(telegram_update(client, 7, "hello there"), SAFETY_S)
            assert_retry_later(refused)
            await still_serving(client)
            writer.release()
        assert writer.released_on_request is True
        redelivered = await telegram_update(client, 7, "hello there")
        assert redelivered.status == 200
        assert (await telegram_update(client, 7, "hello there")).status == 200  # a duplicate
        await settle(services_of(client))
        assert await stored(client, "hello there") == 1
        async with services_of(client).db.read() as session:
            entries = await session.scalar(select(func.count()).select_from(InboundJournalEntry))
        assert entries == 1


async def test_telegram_update_waits_for_the_lock_and_is_acknowledged_once_stored(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = app_settings(sqlite_url, tmp_path, store_timeout=SAFETY_S)
    path = database_path(sqlite_url)
    assert path is not None
    async with running(settings, clock, background=False) as client:
        journal = services_of(client).journal
        async with OtherWriter(path) as writer:
            sending = asyncio.create_task(telegram_update(client, 8, "anyone there?"))
            await until(
                lambda: journal.arrived == 1
            )  # at the door, its commit waiting for the lock
            await still_serving(client)
            assert not sending.done()
            writer.release()
            answered = await asyncio.wait_for(sending, SAFETY_S)
        assert writer.released_on_request is True
        assert answered.status == 200
        await settle(services_of(client))
        assert await stored(client, "anyone there?") == 1


async def test_whatsapp_message_behind_waiting_background_work_is_refused_for_now(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = app_settings(sqlite_url, tmp_path, store_timeout=0.2)
    path = database_path(sqlite_url)
    assert path is not None
    async with running(settings, clock, background=False) as client:
        services = services_of(client)

        async def background_write() -> None:
            async with services.uow() as tx:
                await tx.session.execute(text("UPDATE inbound_journal SET error = error"))

        async with OtherWriter(path) as writer:
            background = asyncio.create_task(
                background_write()
            )  # holds the gate, waiting for the lock
            refused = await asyncio.wait_for(
                whatsapp_message(client, "SM" + "1" * 32, "hi"), SAFETY_S
            )
            assert_retry_later(refused)
            await still_serving(client)
            assert not background.done()
            writer.release()
            await asyncio.wait_for(background, SAFETY_S)
        assert writer.released_on_request is True
        redelivered = await whatsapp_message(client, "SM" + "1" * 32, "hi")
        assert redelivered.status == 200
        await settle(services)
        assert await stored(client, "hi") == 1


async def test_widget_message_refused_for_now_then_stored_once(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = app_settings(sqlite_url, tmp_path, store_timeout=0.2)
    path = database_path(sqlite_url)
    assert path is not None
    async with running(settings, clock, background=False) as client:
        opened = await client.post("/widget/session", json={}, headers={"Origin": SHOP})
        assert opened.status == 200
        headers = {"Origin": SHOP, "Authorization": f"Bearer {(await opened.json())['token']}"}
        frame = {"type": "message", "client_id": "c1", "text": "is my order late?"}
        async with OtherWriter(path) as writer:
            refused = await asyncio.wait_for(
                client.post("/widget/messages", json=frame, headers=headers), SAFETY_S
            )
            assert_retry_later(refused)
            assert (await refused.json())["frames"][0]["code"] == "unavailable"
            await still_serving(client)
            writer.release()
        assert writer.released_on_request is True
        sent_again = await client.post("/widget/messages", json=frame, headers=headers)
        assert sent_again.status == 200
        await settle(services_of(client))
        assert await stored(client, "is my order late?") == 1
