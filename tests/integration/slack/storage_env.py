"""The running app with the Slack component on real storage, a fake Slack and a recording channel."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.console_store import StorageConsoleBackend
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from bot.storage.models import Agent
from channels.testing import RecordingChannel
from integrations.slack.component import SlackComponent
from tests.conftest import make_settings
from tests.fakes.slack import FakeSlack, SlackSender

SECRET = "signing-secret-for-tests"
ADMIN, AGENT, EVE, STRANGER = "UADMIN", "UAGENT", "UEVE", "USTRANGER"


class WatchedBackend(StorageConsoleBackend):
    """The storage backend, telling tests when a console call has finished."""

    def __init__(self, services: Services) -> None:
        super().__init__(services.uow)
        self.finished: dict[str, int] = defaultdict(int)
        self._changed = asyncio.Condition()

    async def _note(self, name: str) -> None:
        async with self._changed:
            self.finished[name] += 1
            self._changed.notify_all()

    async def wait_called(self, name: str, count: int = 1) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.finished[name] >= count), 10)

    async def agent_reply(self, conversation_id: str, slack_user_id: str, text: str) -> None:
        try:
            await super().agent_reply(conversation_id, slack_user_id, text)
        finally:
            await self._note("agent_reply")

    async def internal_note(self, conversation_id: str, slack_user_id: str, text: str) -> None:
        try:
            await super().internal_note(conversation_id, slack_user_id, text)
        finally:
            await self._note("internal_note")


@dataclass
class SlackApp:
    services: Services
    clock: FakeClock
    fake: FakeSlack
    slack: SlackSender
    channel: RecordingChannel
    backend: WatchedBackend
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    async def say(self, text: str, *, chat: str = "c1", name: str = "Jane Doe") -> None:
        """The customer writes; everything it causes runs."""
        await self.services.inbox.receive(
            InboundMessage(
                channel=self.channel.name,
                external_conversation_id=chat,
                external_message_id=f"m{next(self._ids)}",
                sender=SenderProfile(external_id=chat, name=name),
                kind="text",
                text=text,
            )
        )
        await self.settle()

    async def settle(self) -> None:
        """Deliver events, outbound items and due timers until nothing is left to do now."""
        await settle(self.services)

    def thread_posts(self, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.calls("chat.postMessage") if m.get("thread_ts") == thread_ts]


async def add_agents(services: Services) -> None:
    async with services.uow() as tx:
        tx.session.add_all(
            [
                Agent(name="Ana Agent", email="ana@example.com", slack_user_id=AGENT, roles=[]),
                Agent(name="Adam Admin", email="adam@example.com", slack_user_id=ADMIN, roles=[]),
                Agent(name="Eve Early", email="eve@example.com", roles=[]),
            ]
        )


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    """No workflows unless a test writes one here."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    return folder


@pytest.fixture
async def slack_app(
    sqlite_url: str, clock: FakeClock, workflow_dir: Path
) -> AsyncIterator[SlackApp]:
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        fake.add_user(EVE, "Eve Early", "eve@example.com")
        settings = make_settings(
            sqlite_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_ADMIN_USER_IDS=[ADMIN],
            SLACK_API_BASE_URL=fake.api_url,
            RELAYBOT_WORKFLOWS_DIR=str(workflow_dir),
        )
        services = build_services(settings, clock)
        channel = RecordingChannel("test")
        services.add_channel(channel)
        component = SlackComponent(services)
        backend = WatchedBackend(services)
        component.backend = backend

        def slack(app: web.Application, services: Services) -> None:
            component.install(app, pace_seconds=0)

        app = create_app(
            settings,
            services=services,
            components=[setup_engine, slack],
            background=False,
            migrate=False,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        sender = SlackSender(
            http, f"http://127.0.0.1:{port}/slack/events", SECRET, fake.response_url()
        )
        await add_agents(services)
        try:
            yield SlackApp(services, clock, fake, sender, channel, backend)
        finally:
            await runner.cleanup()
            await services.close()
