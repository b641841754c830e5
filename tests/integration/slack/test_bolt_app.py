"""The Bolt app built from settings read from the environment, as ``relaybot serve`` does."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web

from bot.core.config import load_settings
from integrations.slack import setup_slack
from integrations.slack.memory import InMemoryThreadRegistry
from tests.fakes.slack import FakeSlack, SlackSender
from tests.integration.slack.conftest import AGENT, SECRET
from tests.unit.slack.backend import InMemoryConsoleBackend


async def test_configuration_from_the_environment_starts_without_warnings(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        monkeypatch.setenv("SLACK_BOT_TOKEN", fake.token)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
        monkeypatch.setenv("SLACK_API_BASE_URL", fake.api_url)
        settings = load_settings(_env_file=None)
        backend = InMemoryConsoleBackend()
        backend.add_agent("a1", "Ana Agent", slack_user_id=AGENT)
        app = web.Application()
        setup_slack(app, settings, backend, http, registry=InMemoryThreadRegistry())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
            status, _ = await SlackSender(http, url, SECRET, fake.response_url()).command("help")
            assert status == 200
            (answer,) = await fake.wait_responses(1)
        finally:
            await runner.cleanup()
    assert "/relay" in answer["text"]
    assert len(fake.calls("auth.test")) == 1  # Bolt asked the fake, with the token, who it is
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == []
