"""At DEBUG, through real Telegram and Slack traffic, no secret and no message text reaches the log."""

from __future__ import annotations

import contextlib
import io
import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.log_redaction import REDACTED
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from channels.component import setup_channels
from channels.telegram import set_webhook
from integrations.slack.component import SlackComponent
from tests.conftest import make_settings
from tests.e2e.test_slack_console import thread_reply
from tests.fakes.slack import BOT_ID, BOT_USER_ID, FakeSlack, SlackSender
from tests.fakes.telegram import TelegramFake, message_update, signed_headers
from tests.fakes.twilio import ACCOUNT_SID, TwilioFake, inbound_params
from tests.fakes.twilio import signed_headers as twilio_signed
from tests.integration.slack.storage_env import WatchedBackend, add_agents
from tests.security.log_capture import capture, logging_restored

CUSTOMER_TEXT = "my card ends in 4242 and I live at 12 Elm Street"
AGENT_TEXT = "Thanks, your refund for the Elm Street order is on its way"
WHATSAPP_TEXT = "my passport number is X1234567"
WHATSAPP_ANSWER = "Got it, passport X1234567 is on file"
PUBLIC_URL = "https://relay.example.com"
TELEGRAM_TOKEN = "987654:s3cr3t-telegram_bot-token"
FIXED = {
    "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": "s3cr3t-telegram_webhook-secret",
}


def secret_aliases() -> list[str]:
    """The environment name of every secret setting, as ``bot.core.config`` declares them."""
    aliases = []
    for field in Settings.model_fields.values():
        if field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation):
            assert field.alias is not None
            aliases.append(field.alias)
    return aliases


def secrets() -> dict[str, str]:
    """A distinct value for every secret setting; ``+/=`` and spaces make URL-encoded forms differ."""
    values = {alias: f"s3cr3t {alias.lower()} +/= 0123456789abcdef" for alias in secret_aliases()}
    return {**values, **FIXED}


def forms(value: str) -> set[str]:
    return {value, quote(value), quote(value, safe=""), quote_plus(value)}


@dataclass
class Traffic:
    services: Services
    base: str
    http: aiohttp.ClientSession
    slack: SlackSender
    fake_slack: FakeSlack
    telegram: TelegramFake
    twilio: TwilioFake
    backend: WatchedBackend


@pytest.fixture
async def running(
    sqlite_url: str, clock: FakeClock, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Traffic, io.StringIO]]:
    """The app with Telegram, WhatsApp and Slack on, every secret set, logging at DEBUG."""
    values = secrets()
    telegram = TelegramFake(token=TELEGRAM_TOKEN)
    twilio = TwilioFake(auth_token=values["TWILIO_AUTH_TOKEN"])
    async with (
        FakeSlack(values["SLACK_BOT_TOKEN"]) as fake_slack,
        aiohttp.ClientSession() as http,
        contextlib.AsyncExitStack() as stack,
    ):
        for fake in (telegram, twilio):
            await fake.start()
            stack.push_async_callback(fake.stop)
        settings = make_settings(
            sqlite_url,
            **values,
            RELAYBOT_LOG_LEVEL="DEBUG",
            RELAYBOT_LOG_MESSAGE_TEXT=str(request.param),
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_API_BASE_URL=fake_slack.api_url,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            RELAYBOT_PUBLIC_URL=PUBLIC_URL,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
            TWILIO_API_BASE_URL=twilio.url,
            RELAYBOT_WORKFLOWS_DIR=str(tmp_path),
        )
        stack.enter_context(logging_restored())
        log = capture(settings)
        services = build_services(settings, clock)
        stack.push_async_callback(services.close)
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
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        await add_agents(services)
        sender = SlackSender(
            http, f"{base}/slack/events", values["SLACK_SIGNING_SECRET"], fake_slack.response_url()
        )
        yield Traffic(services, base, http, sender, fake_slack, telegram, twilio, backend), log


async def talk(traffic: Traffic) -> None:
    """Telegram start, a customer's signed update, Slack's echo of the mirror, an agent's answer;
    then a signed WhatsApp message and an agent's answer sent through Twilio."""
    await set_webhook(traffic.services.settings, traffic.http)
    async with traffic.http.post(
        f"{traffic.base}/webhooks/telegram",
        json=message_update(1, text=CUSTOMER_TEXT),
        headers=signed_headers(FIXED["TELEGRAM_WEBHOOK_SECRET"]),
    ) as response:
        assert response.status == 200
    await settle(traffic.services)
    mirrored = traffic.fake_slack.calls("chat.postMessage")[-1]
    assert CUSTOMER_TEXT in mirrored["text"]
    thread_ts = str(traffic.fake_slack.messages[0]["ts"])
    echo = {"bot_id": BOT_ID, "user": BOT_USER_ID, "ts": "1700000800.000001"}
    status, _ = await traffic.slack.event(thread_reply(CUSTOMER_TEXT, thread_ts, **echo))
    assert status == 200
    status, _ = await traffic.slack.event(thread_reply(AGENT_TEXT, thread_ts))
    assert status == 200
    await traffic.backend.wait_called("agent_reply")
    await settle(traffic.services)
    assert [c["text"] for c in traffic.telegram.calls("sendMessage")] == [AGENT_TEXT]

    form = inbound_params(body=WHATSAPP_TEXT)
    headers = twilio_signed(PUBLIC_URL + "/webhooks/twilio", form, traffic.twilio.auth_token)
    async with traffic.http.post(
        f"{traffic.base}/webhooks/twilio", data=form, headers=headers
    ) as response:
        assert response.status == 200
    await settle(traffic.services)
    (header,) = [m for m in traffic.fake_slack.messages if "on whatsapp" in str(m.get("text"))]
    status, _ = await traffic.slack.event(
        thread_reply(WHATSAPP_ANSWER, str(header["ts"]), ts="1700000900.000002")
    )
    assert status == 200
    await traffic.backend.wait_called("agent_reply", 2)
    await settle(traffic.services)
    assert [m["Body"] for m in traffic.twilio.messages()] == [WHATSAPP_ANSWER]


@pytest.mark.parametrize("running", [False], indirect=True)
async def test_debug_log_holds_no_secret_and_no_message_text(
    running: tuple[Traffic, io.StringIO],
) -> None:
    traffic, log = running
    await talk(traffic)
    text = log.getvalue()
    assert "slack console on" in text and "slack thread opened" in text
    for alias, value in secrets().items():
        for form in forms(value):
            assert form not in text, f"{alias} in the log"
    for said in (CUSTOMER_TEXT, AGENT_TEXT, WHATSAPP_TEXT, WHATSAPP_ANSWER, "4242", "X1234567"):
        assert said not in text


@pytest.mark.parametrize("running", [True], indirect=True)
async def test_message_texts_are_logged_only_when_asked_for(
    running: tuple[Traffic, io.StringIO],
) -> None:
    traffic, log = running
    await talk(traffic)
    text = log.getvalue()
    assert CUSTOMER_TEXT in text and AGENT_TEXT in text and WHATSAPP_TEXT in text
    assert "Set Bot API URL" in text and REDACTED in text
    for alias, value in secrets().items():
        for form in forms(value):
            assert form not in text, f"{alias} in the log"
