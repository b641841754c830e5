"""A running aiohttp app with the Slack console mounted, talking to a fake Slack on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.core.config import Settings, load_settings
from integrations.slack import SlackConsole, setup_slack
from integrations.slack.memory import InMemoryThreadRegistry
from integrations.slack.ports import ConversationSummary, WorkflowSummary
from tests.fakes.slack import FakeSlack, SlackSender
from tests.unit.slack.backend import InMemoryConsoleBackend

SECRET = "signing-secret-for-tests"
ADMIN = "UADMIN"
AGENT = "UAGENT"
STRANGER = "USTRANGER"


@dataclass
class SlackEnv:
    fake: FakeSlack
    backend: InMemoryConsoleBackend
    registry: InMemoryThreadRegistry
    console: SlackConsole
    slack: SlackSender
    settings: Settings
    url: str


@pytest.fixture
async def env() -> AsyncIterator[SlackEnv]:
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        settings = load_settings(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_ADMIN_USER_IDS=[ADMIN],
            SLACK_API_BASE_URL=fake.api_url,
        )
        backend = InMemoryConsoleBackend()
        backend.add_agent("a1", "Ana Agent", slack_user_id=AGENT)
        backend.add_agent("a2", "Adam Admin", slack_user_id=ADMIN)
        backend.add_conversation(
            ConversationSummary(
                "42", "telegram", "Jane Doe", tags=("billing",), last_message="Where is my refund?"
            )
        )
        backend.workflow_items["welcome"] = WorkflowSummary("welcome", True, "conversation.created")
        registry = InMemoryThreadRegistry()
        app = web.Application()
        console = setup_slack(app, settings, backend, http, registry=registry)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/slack/events"
        sender = SlackSender(http, url, SECRET, fake.response_url())
        try:
            yield SlackEnv(fake, backend, registry, console, sender, settings, url)
        finally:
            await runner.cleanup()
