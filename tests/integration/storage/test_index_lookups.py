"""Lookups made per webhook, per console command or at start-up find their rows by index.

A table scan is invisible with ten rows and takes seconds with millions, so the
statements these paths really send are captured and SQLite's query plan for each is
read: none may scan the table it looks in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.console_store import StorageConsoleBackend
from bot.domain.delivery_status import apply_status
from bot.domain.replies import write_delivery_status
from bot.pipeline.services import Services, build_services
from bot.storage.models import Agent, Conversation, Message, MessagePart
from bot.storage.sqlite_inline import database_path
from tests.conftest import make_settings
from tests.engine_events import listening
from tests.harness import Harness


async def _sent_message(services: Services, external_id: str) -> int:
    """An outbound message recorded as sent under ``external_id``; its id."""
    chat = f"chat-{external_id}"
    await services.inbox.receive(
        InboundMessage(
            channel="test",
            external_conversation_id=chat,
            external_message_id=f"in-{external_id}",
            sender=SenderProfile(external_id=chat, name="Ada"),
            kind="text",
            text="hi",
        )
    )
    async with services.uow() as tx:
        conversation = await tx.session.scalar(
            select(Conversation).where(Conversation.external_id == chat)
        )
        assert conversation is not None
        message = Message(
            conversation_id=conversation.id,
            direction="out",
            sender_kind="bot",
            text="a long answer",
            delivery_status="queued",
        )
        tx.session.add(message)
        await tx.session.flush()
        await write_delivery_status(tx.session, message.id, "sent", external_id=external_id)
        return message.id


async def _status(services: Services, message_id: int) -> str:
    async with services.db.read() as session:
        status = await session.scalar(
            select(Message.delivery_status).where(Message.id == message_id)
        )
    assert status is not None
    return status


async def test_a_receipt_for_any_part_of_a_split_message_reaches_it(services: Services) -> None:
    split = await _sent_message(services, "SMa1,SMb2,SMc3")
    whole = await _sent_message(services, "SMd4")
    async with services.db.read() as session:
        parts = (
            await session.execute(select(MessagePart.external_id, MessagePart.message_id))
        ).all()
    assert sorted(parts) == [("SMa1", split), ("SMb2", split), ("SMc3", split)]

    change = await apply_status(services.uow, "SMb2", "delivered")
    assert change is not None and (change.message_id, change.status) == (split, "delivered")
    assert await _status(services, split) == "delivered"
    assert await apply_status(services.uow, "SMa1", "sent") is None  # stale: never backwards
    assert (await apply_status(services.uow, "SMc3", "read")) is not None
    assert await _status(services, split) == "read"

    assert (await apply_status(services.uow, "SMd4", "delivered")) is not None
    assert await _status(services, whole) == "delivered"
    assert await apply_status(services.uow, "SMzz", "delivered") is None
    assert await apply_status(services.uow, "SMb", "delivered") is None  # no prefix matching


@contextmanager
def captured(services: Services) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent to the database meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        seen.append((statement, parameters))

    with listening(services, "before_cursor_execute", record):
        yield seen


def scans(services: Services, statements: list[tuple[str, Any]], table: str) -> list[str]:
    """The plan lines of reads from ``table`` that walk the whole table."""
    path = database_path(services.settings.database_url)
    assert path is not None
    found: list[str] = []
    with sqlite3.connect(path) as connection:
        for statement, parameters in statements:
            if (
                not statement.lstrip().upper().startswith("SELECT")
                or f"FROM {table}" not in statement
            ):
                continue
            plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            found += [row[-1] for row in plan if row[-1].startswith(f"SCAN {table}")]
    assert statements, "nothing was captured"
    return found


@pytest.fixture
async def on_sqlite(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    """Services on SQLite only: the query plans read here are SQLite's."""
    services = build_services(make_settings(sqlite_url), clock)
    yield services
    await services.close()


async def test_receipts_find_their_message_by_index(on_sqlite: Services) -> None:
    services = on_sqlite
    for number in range(20):
        await _sent_message(services, f"SMx{number},SMy{number}" if number % 2 else f"SMx{number}")
    with captured(services) as statements:
        assert await apply_status(services.uow, "SMx4", "delivered") is not None
        assert await apply_status(services.uow, "SMy5", "delivered") is not None
        assert await apply_status(services.uow, "SMunknown", "delivered") is None
    assert scans(services, statements, "messages") == []
    assert scans(services, statements, "message_parts") == []


async def test_an_agents_queue_is_read_by_index(on_sqlite: Services) -> None:
    services = on_sqlite
    async with services.uow() as tx:
        agent = Agent(name="Eve", email="eve@example.com", slack_user_id="UEVE")
        tx.session.add(agent)
        await tx.session.flush()
        agent_id = agent.id
    for number in range(6):
        await _sent_message(services, f"SMq{number}")
    async with services.uow() as tx:
        rows = list(await tx.session.scalars(select(Conversation).order_by(Conversation.id)))
        for row in rows[:4]:
            row.assignee_id = agent_id
        rows[0].status = "closed"
    with captured(services) as statements:
        mine = await StorageConsoleBackend(services.uow).mine("UEVE")
    assert len(mine) == 3
    assert scans(services, statements, "conversations") == []


async def test_start_up_finds_runs_left_mid_call_by_index(on_sqlite: Services) -> None:
    services = on_sqlite
    harness = await Harness.start(services)
    with captured(services) as statements:
        assert await harness.runner.recover() == 0
    assert scans(services, statements, "workflow_runs") == []
