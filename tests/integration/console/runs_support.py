"""The console app with runs made for real by the engine: one small workflow whose path
depends on what the customer writes (finished, waiting, failed, or not started)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.app.console.routes import setup_console
from bot.app.engine_component import build_runner
from bot.core.clock import FakeClock
from bot.domain.workflow_store import import_files
from bot.pipeline.services import SERVICES
from channels.testing import RecordingChannel
from tests.conftest import fresh_postgres_url, make_settings
from tests.db_support import PostgresDatabase, SqliteTemplate
from tests.harness import Harness
from tests.integration.console.http_support import Client, sign_in
from tests.integration.console.support import admin_and_agent
from tests.integration.runner.flows import write_flows

TRIAGE = """
name: triage
description: say hello, then finish, wait a week or fail, by what the customer wrote
trigger: {event: message.received}
conditions:
  all:
    - {field: message.text, op: not_contains, value: ignore}
steps:
  - {id: hello, type: send_message, text: "Hi"}
  - id: route
    type: branch
    cases:
      - when: {all: [{field: message.text, op: contains, value: broken}]}
        goto: broken
      - when: {all: [{field: message.text, op: contains, value: later}]}
        goto: pause
    else: bye
  - {id: pause, type: wait, duration: 7d, next: bye}
  - {id: broken, type: wait, until: "{{ vars.nowhere }}"}
  - {id: bye, type: send_message, text: "Bye"}
"""
OTHER = """
name: vip
trigger: {event: message.received}
conditions:
  all:
    - {field: message.text, op: contains, value: invoice}
steps:
  - {id: note, type: add_tag, tag: vip}
"""
ERROR = "wait until '{{ vars.nowhere }}': not a date and time"


@dataclass
class Console:
    """A signed-in test client, and a customer who writes on chats of their own."""

    client: Client
    bot: Harness
    chats: int = 0

    @property
    def clock(self) -> FakeClock:
        return self.bot.clock

    async def write(self, text: str) -> int:
        """The customer writes ``text`` in a new chat; the id of the run it started."""
        self.chats += 1
        before = {run.id for run in await self.bot.runs()}
        await self.bot.say(text, chat=f"chat-{self.chats}")
        new = [run.id for run in await self.bot.runs() if run.id not in before]
        assert len(new) <= 1
        return new[0] if new else 0

    async def conversation_of(self, run_id: int) -> int:
        (run,) = [run for run in await self.bot.runs() if run.id == run_id]
        assert run.conversation_id is not None
        return run.conversation_id

    async def json(self, path: str, status: int = 200, **headers: str) -> Any:
        answer = await self.client.get(path, headers=headers)
        assert answer.status == status, await answer.text()
        return await answer.json()

    async def html(self, path: str, status: int = 200) -> str:
        answer = await self.client.get(path)
        text = await answer.text()
        assert answer.status == status, text
        return text


async def open_console(
    url: str, clock: FakeClock, folder: Path, email: str, flows: tuple[str, ...] = (TRIAGE, OTHER)
) -> Console:
    app = create_app(
        make_settings(url, RELAYBOT_SECRET_KEY="console-runs-key"),
        clock=clock,
        components=[setup_console],
        background=False,
    )
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    services = app[SERVICES]
    await admin_and_agent(services)
    # Harness.start without its ChannelSender: the app registered one already
    channel = RecordingChannel("test")
    services.add_channel(channel)
    runner = build_runner(services)
    await import_files(services.uow, write_flows(folder, *flows))
    await runner.catalog.refresh()
    services.events.interest.seal()
    bot = Harness(services, channel, runner)
    assert await sign_in(client, email) == 303
    return Console(client, bot)


@pytest.fixture(params=["sqlite", "postgres"])
async def console_url(
    request: pytest.FixtureRequest,
    sqlite_template: SqliteTemplate,
    postgres_database: PostgresDatabase | None,
) -> str:
    if request.param == "sqlite":
        return sqlite_template.fresh_url()
    return await fresh_postgres_url(postgres_database)


@pytest.fixture
async def agent_console(
    console_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Console]:
    """An agent (ana@example.com) signed in; agents may read every runs page."""
    console = await open_console(console_url, clock, tmp_path, "ana@example.com")
    try:
        yield console
    finally:
        await console.client.close()


@pytest.fixture
async def admin_console(
    console_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Console]:
    console = await open_console(console_url, clock, tmp_path, "adam@example.com")
    try:
        yield console
    finally:
        await console.client.close()
