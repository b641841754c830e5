"""The channel component turns on exactly the channels whose credentials are set."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app.app import create_app
from bot.app.cli import build_parser, main
from bot.core.clock import FakeClock
from channels.component import setup_channels
from tests.conftest import make_settings
from tests.fakes.telegram import TelegramFake

TELEGRAM = {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s"}
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t",
    "TWILIO_WHATSAPP_FROM": "+14155238886",
}


def paths(app: web.Application) -> set[str]:
    return {r.resource.canonical for r in app.router.routes() if r.resource is not None}


@pytest.mark.parametrize(
    ("values", "channels"),
    [
        ({}, set()),
        (TELEGRAM, {"telegram"}),
        (TWILIO, {"whatsapp"}),
        ({**TELEGRAM, **TWILIO}, {"telegram", "whatsapp"}),
    ],
)
def test_only_configured_channels_are_on(
    sqlite_url: str, values: dict[str, Any], channels: set[str]
) -> None:
    # built outside a running loop, as `relaybot serve` does: no session is opened here
    app = create_app(
        make_settings(sqlite_url, **values),
        clock=FakeClock(),
        components=[setup_channels],
        background=False,
    )
    from bot.pipeline.services import SERVICES

    assert set(app[SERVICES].channels) == channels
    expected = {
        "telegram": {"/webhooks/telegram"},
        "whatsapp": {"/webhooks/twilio", "/webhooks/twilio/status"},
    }
    for name in ("telegram", "whatsapp"):
        assert (expected[name] <= paths(app)) is (name in channels)
    assert app[SERVICES]._http is None


def test_set_webhook_command_is_registered() -> None:
    args = build_parser().parse_args(["telegram", "set-webhook"])
    assert callable(args.command)


@pytest.fixture
def telegram_in_thread() -> Iterator[TelegramFake]:
    """The fake Bot API on its own loop, so the command can run its own ``asyncio.run``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = TelegramFake()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_relaybot_telegram_set_webhook(
    telegram_in_thread: TelegramFake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    fake = telegram_in_thread
    monkeypatch.chdir(tmp_path)  # no .env file
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "webhook-secret_1")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("RELAYBOT_PUBLIC_URL", "https://relay.example.com/")
    assert main(["telegram", "set-webhook"]) == 0
    (call,) = fake.calls("setWebhook")
    assert call["url"] == "https://relay.example.com/webhooks/telegram"
    assert call["secret_token"] == "webhook-secret_1"
    assert call["allowed_updates"] == ["message", "callback_query"]
    assert "https://relay.example.com/webhooks/telegram" in capsys.readouterr().out


def test_set_webhook_without_secret_says_which_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    assert main(["telegram", "set-webhook"]) == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err
