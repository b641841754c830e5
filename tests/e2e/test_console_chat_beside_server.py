"""A server on the same database leaves a terminal chat's work to the chat, and the
chat leaves the server's: events, outbound items and timers each go to the right process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app.app import create_app
from bot.app.console_chat import ChatSession
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import SERVICES, Services
from bot.pipeline.settle import settle
from bot.storage.models import Event, OutboxItem, Timer, WorkflowRun
from channels.testing import RecordingChannel
from tests.chat_support import QUESTION, TIMED_OUT, Terminal, workflows
from tests.conftest import make_settings


@pytest.fixture
async def server(database_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Services]:
    """The real app, started, its background loops left to the test (``settle``); its
    customers write on a recording channel, ``test``."""
    settings = make_settings(database_url, RELAYBOT_WORKFLOWS_DIR=str(workflows(tmp_path)))
    app = create_app(settings, clock=clock, components=[setup_engine], background=False)
    app[SERVICES].add_channel(RecordingChannel("test"))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield app[SERVICES]
    finally:
        await runner.cleanup()


@pytest.fixture
async def chat(server: Services, clock: FakeClock) -> AsyncIterator[tuple[ChatSession, Terminal]]:
    terminal = Terminal()
    session = await ChatSession.open(server.settings, clock, "terminal", write=terminal.write)
    try:
        yield session, terminal
    finally:
        await session.close()


async def test_a_server_does_not_take_or_fail_a_terminal_chats_work(
    server: Services, chat: tuple[ChatSession, Terminal], clock: FakeClock
) -> None:
    session, terminal = chat
    await session.services.inbox.receive(_message("console", "terminal"))  # stored, not yet handled

    await settle(server)
    assert await _undelivered_events(server) == 2  # created, received: still the chat's
    assert await _runs(server) == 0

    await session.services.events.drain()  # the chat starts the run; its question is queued
    await settle(server)
    (item,) = await _outbox(server)
    assert (item.status, item.attempts, item.claimed_until, item.last_error) == (
        "pending",
        0,
        None,
        None,
    )

    await session.fire_due()
    assert terminal.printed[-1] == f"bot> {QUESTION}"
    (timer,) = await _timers(server)

    clock.advance(timedelta(seconds=21))
    assert (
        await server.scheduler.next_due() is None
    )  # the server's timer loop has nothing to wait for
    await settle(server)
    (timer,) = await _timers(server)
    assert (timer.status, timer.claimed_until) == ("pending", None)

    await session.fire_due()
    assert terminal.printed[-1] == f"bot> {TIMED_OUT}"
    assert [t.status for t in await _timers(server)] == ["fired"]


async def test_a_terminal_chat_does_not_take_a_servers_work(
    server: Services, chat: tuple[ChatSession, Terminal], clock: FakeClock
) -> None:
    session, _ = chat
    customer = server.channels["test"]
    assert isinstance(customer, RecordingChannel)
    await server.inbox.receive(_message("test", "c1"))

    await session.fire_due()
    assert await _undelivered_events(server) == 2
    await settle(server)
    assert customer.texts("c1") == [QUESTION]

    clock.advance(timedelta(seconds=21))
    assert await session.services.scheduler.next_due() is None
    await session.fire_due()
    assert [t.status for t in await _timers(server)] == ["pending"]
    await settle(server)
    assert customer.texts("c1") == [QUESTION, TIMED_OUT]


def _message(channel: str, chat: str) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_conversation_id=chat,
        external_message_id=f"{channel}-1",
        sender=SenderProfile(external_id=chat, name="Ada"),
        text="hi",
    )


async def _undelivered_events(services: Services) -> int:
    async with services.db.read() as session:
        return int(
            await session.scalar(select(func.count()).where(Event.delivered_at.is_(None))) or 0
        )


async def _runs(services: Services) -> int:
    async with services.db.read() as session:
        return int(await session.scalar(select(func.count(WorkflowRun.id))) or 0)


async def _outbox(services: Services) -> list[OutboxItem]:
    async with services.db.read() as session:
        return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def _timers(services: Services) -> list[Timer]:
    async with services.db.read() as session:
        return list(await session.scalars(select(Timer).order_by(Timer.id)))
