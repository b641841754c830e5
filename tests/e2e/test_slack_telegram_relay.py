"""An agent answers in the Slack thread; the customer gets it on Telegram (both fakes, real clients)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.domain.replies import queue_reply
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from bot.storage.models import Conversation
from channels.component import setup_channels
from integrations.slack.component import SlackComponent
from tests.conftest import make_settings
from tests.e2e.test_slack_console import thread_reply
from tests.fakes.slack import FakeSlack, SlackSender
from tests.fakes.telegram import TelegramFake, callback_update, message_update, signed_headers
from tests.integration.slack.storage_env import AGENT, SECRET, WatchedBackend, add_agents
from workflows.message_parts import Choice

TELEGRAM_SECRET = "webhook-secret_1"


class Relay:
    def __init__(
        self,
        services: Services,
        base: str,
        http: aiohttp.ClientSession,
        slack: SlackSender,
        fake_slack: FakeSlack,
        telegram: TelegramFake,
        backend: WatchedBackend,
    ) -> None:
        self.services, self.base, self.http = services, base, http
        self.slack, self.fake_slack, self.telegram, self.backend = (
            slack,
            fake_slack,
            telegram,
            backend,
        )

    async def customer_writes(self, update_id: int, text: str) -> None:
        await self.customer_sends(message_update(update_id, text=text))

    async def customer_sends(self, update: dict[str, Any]) -> None:
        async with self.http.post(
            f"{self.base}/webhooks/telegram",
            json=update,
            headers=signed_headers(TELEGRAM_SECRET),
        ) as response:
            assert response.status == 200
        await self.settle()

    async def settle(self) -> None:
        await settle(self.services)

    def telegram_texts(self) -> list[str]:
        return [str(call["text"]) for call in self.telegram.calls("sendMessage")]


@pytest.fixture
async def relay(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Relay]:
    async with (
        FakeSlack() as fake_slack,
        TelegramFake() as telegram,
        aiohttp.ClientSession() as http,
    ):
        settings = make_settings(
            sqlite_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_API_BASE_URL=fake_slack.api_url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            RELAYBOT_PUBLIC_URL="https://relay.example.com",
            RELAYBOT_WORKFLOWS_DIR=str(tmp_path),  # no workflows: only people talk here
        )
        services = build_services(settings, clock)
        component = SlackComponent(services)
        backend = WatchedBackend(services)
        component.backend = backend

        def slack(app: web.Application, services: Services) -> None:
            component.install(app, pace_seconds=0)

        app = create_app(
            settings,
            services=services,
            components=[setup_engine, setup_channels, slack],
            background=False,
            migrate=False,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        await add_agents(services)
        sender = SlackSender(http, f"{base}/slack/events", SECRET, fake_slack.response_url())
        try:
            yield Relay(services, base, http, sender, fake_slack, telegram, backend)
        finally:
            await runner.cleanup()
            await services.close()


async def test_thread_reply_reaches_the_customer_on_telegram(relay: Relay) -> None:
    await relay.customer_writes(1, "My parcel never arrived")
    header, mirrored = relay.fake_slack.calls("chat.postMessage")
    assert header.get("thread_ts") is None  # the thread starts with the header
    thread_ts = str(relay.fake_slack.messages[0]["ts"])
    assert mirrored["thread_ts"] == thread_ts and "My parcel never arrived" in mirrored["text"]

    status, _ = await relay.slack.event(thread_reply("Sorry! A new one ships today.", thread_ts))
    assert status == 200
    await relay.backend.wait_called("agent_reply")
    await relay.settle()
    sent: list[dict[str, Any]] = relay.telegram.calls("sendMessage")
    assert [str(c["text"]) for c in sent] == ["Sorry! A new one ships today."]
    assert sent[0]["chat_id"] in (42, "42")


async def test_internal_note_never_reaches_telegram(relay: Relay) -> None:
    await relay.customer_writes(1, "Hello?")
    thread_ts = str(relay.fake_slack.messages[0]["ts"])
    status, _ = await relay.slack.event(thread_reply("note: VIP, be quick", thread_ts, user=AGENT))
    assert status == 200
    await relay.backend.wait_called("internal_note")
    await relay.settle()
    assert relay.telegram_texts() == []


async def test_button_pressed_without_its_keyboard_is_mirrored_by_its_label(relay: Relay) -> None:
    await relay.customer_writes(1, "My parcel never arrived")
    async with relay.services.uow() as tx:
        row = await tx.session.scalar(select(Conversation))
        assert row is not None
        choices = [Choice(label="Yes, please help", value="yes"), Choice(label="No", value="no")]
        await queue_reply(tx, row, "Shall we look into it?", sender_kind="bot", choices=choices)
    await relay.settle()
    # Telegram sent the press without the message it was on: only the value "yes" is known.
    await relay.customer_sends(callback_update(2, "yes"))
    mirrored = relay.fake_slack.calls("chat.postMessage")[-1]
    assert mirrored["text"].endswith(": Yes, please help")
