"""Slack requests are stored before they are acknowledged, and a repeat is recognised by
the database: a locked database gets Slack to retry, a restart does not make a retry
reach the customer twice, and an unreadable signature time is refused without a crash."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.domain.slack_receipts import LEASE
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from channels.component import setup_channels
from integrations.slack.component import SlackComponent
from integrations.slack.ports import SlackRequest
from tests.conftest import make_settings
from tests.e2e.test_slack_console import thread_reply
from tests.fakes.slack import BOT_USER_ID, TEAM_ID, FakeSlack, SlackSender
from tests.fakes.telegram import TelegramFake, message_update, signed_headers
from tests.integration.slack.storage_env import SECRET, WatchedBackend, add_agents

TELEGRAM_SECRET = "webhook-secret_1"


class Desk:
    """The app with Slack and Telegram on one database, which can be stopped and started again."""

    def __init__(
        self,
        settings: Settings,
        clock: FakeClock,
        http: aiohttp.ClientSession,
        fake_slack: FakeSlack,
        telegram: TelegramFake,
    ) -> None:
        self.settings, self.clock, self.http = settings, clock, http
        self.fake_slack, self.telegram = fake_slack, telegram

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Desk]:
        """One life of the app: its own services, backend and in-process state."""
        self.services = build_services(self.settings, self.clock)
        self.component = component = SlackComponent(self.services)
        self.backend = component.backend = WatchedBackend(self.services)

        def slack(app: web.Application, services: Services) -> None:
            component.install(app, pace_seconds=0)

        app = create_app(
            self.settings,
            services=self.services,
            components=[setup_engine, setup_channels, slack],
            background=False,
            migrate=False,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self.slack = SlackSender(
            self.http, f"{self.base}/slack/events", SECRET, self.fake_slack.response_url()
        )
        try:
            yield self
        finally:
            await runner.cleanup()
            await self.services.close()

    async def customer_writes(self, update_id: int, text: str) -> str:
        """A Telegram message; the ts of the Slack thread it is mirrored into."""
        async with self.http.post(
            f"{self.base}/webhooks/telegram",
            json=message_update(update_id, text=text),
            headers=signed_headers(TELEGRAM_SECRET),
        ) as response:
            assert response.status == 200
        await settle(self.services)
        return str(self.fake_slack.messages[0]["ts"])

    def telegram_texts(self) -> list[str]:
        return [str(call["text"]) for call in self.telegram.calls("sendMessage")]


@pytest.fixture
async def desk(database_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Desk]:
    async with (
        FakeSlack() as fake_slack,
        TelegramFake() as telegram,
        aiohttp.ClientSession() as http,
    ):
        settings = make_settings(
            database_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_API_BASE_URL=fake_slack.api_url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            RELAYBOT_PUBLIC_URL="https://relay.example.com",
            RELAYBOT_WORKFLOWS_DIR=str(tmp_path),
            RELAYBOT_STORE_TIMEOUT=0.5,  # a locked SQLite file: give up storing quickly
            RELAYBOT_DB_STATEMENT_TIMEOUT_MS=1000,  # a locked PostgreSQL table: the same
        )
        yield Desk(settings, clock, http, fake_slack, telegram)


@contextmanager
def sqlite_locked(url: str) -> Iterator[None]:
    """Another process holds the SQLite file's write lock."""
    other = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


@asynccontextmanager
async def database_locked(url: str) -> AsyncIterator[None]:
    """Nothing can be written where Slack requests are kept, until the block ends."""
    if url.startswith("sqlite"):
        with sqlite_locked(url):
            yield
        return
    other = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with other.transaction():
            await other.execute("LOCK TABLE slack_receipts IN EXCLUSIVE MODE")
            yield
    finally:
        await other.close()


async def test_a_reply_sent_while_the_database_is_locked_is_retried_and_reaches_the_customer_once(
    desk: Desk, database_url: str
) -> None:
    async with desk.running():
        await add_agents(desk.services)
        thread_ts = await desk.customer_writes(1, "My parcel never arrived")
        reply = thread_reply("A new one ships today.", thread_ts)

        async with database_locked(database_url):
            status, _ = await desk.slack.event(reply, event_id="EvLOCKED")
        assert status == 503  # not acknowledged: Slack sends it again
        assert int(desk.slack.last_response_headers["Retry-After"]) >= 1

        status, _ = await desk.slack.event(reply, event_id="EvLOCKED", retry_num=1)
        assert status == 200
        await desk.backend.wait_called("agent_reply")
        await settle(desk.services)
        assert desk.telegram_texts() == ["A new one ships today."]


async def test_a_retry_after_a_restart_does_not_reach_the_customer_twice(desk: Desk) -> None:
    async with desk.running():
        await add_agents(desk.services)
        thread_ts = await desk.customer_writes(1, "Where is my refund?")
        reply = thread_reply("It went out this morning.", thread_ts)
        status, _ = await desk.slack.event(reply, event_id="EvRESTART")
        assert status == 200
        await desk.backend.wait_called("agent_reply")
        await settle(desk.services)
        assert desk.telegram_texts() == ["It went out this morning."]

    async with desk.running():  # a new process on the same database
        status, _ = await desk.slack.event(reply, event_id="EvRESTART", retry_num=1)
        assert status == 200
        # the agent's next reply, after the retry: when it has been handled, so had the retry
        later = thread_reply("Tell me if it has not arrived.", thread_ts, ts="1700000901.000001")
        status, _ = await desk.slack.event(later, event_id="EvLATER")
        assert status == 200
        await desk.backend.wait_called("agent_reply")
        await settle(desk.services)
        assert desk.telegram_texts() == [
            "It went out this morning.",
            "Tell me if it has not arrived.",
        ]
        assert desk.backend.finished["agent_reply"] == 1


async def test_a_reply_stored_but_not_handled_before_a_restart_is_handled_once_after_its_lease(
    desk: Desk, clock: FakeClock
) -> None:
    async with desk.running():
        await add_agents(desk.services)
        thread_ts = await desk.customer_writes(1, "Is it in stock?")
        body = {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event_id": "EvCUT",
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": thread_reply("Yes, two left.", thread_ts),
        }
        # acknowledged after this commit; the process stopped before the listeners ran
        assert await desk.component.worker.store.store(
            SlackRequest("event:EvCUT", "application/json", json.dumps(body))
        )

    async with desk.running():
        clock.advance(LEASE)
        await desk.component.worker.process_due()  # or the component's own retry loop does it
        await desk.backend.wait_called("agent_reply")
        await settle(desk.services)
        assert desk.telegram_texts() == ["Yes, two left."]
        assert await desk.component.worker.process_due() == 0
        status, _ = await desk.slack.event(body["event"], event_id="EvCUT", retry_num=1)
        assert status == 200
        await settle(desk.services)
        assert desk.telegram_texts() == ["Yes, two left."]


async def test_a_non_numeric_signature_time_is_refused_without_a_traceback(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "EvTIME", "event": {}}).encode()
    digest = hmac.new(SECRET.encode(), b"v0:soon:" + body, hashlib.sha256).hexdigest()
    headers: dict[str, Any] = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": "soon",
        "X-Slack-Signature": f"v0={digest}",
    }
    async with desk.running():
        with caplog.at_level(logging.INFO):
            async with desk.http.post(desk.slack.url, data=body, headers=headers) as response:
                assert response.status == 401
    assert [r for r in caplog.records if r.exc_info] == []
