"""relaybot chat fires its own timers while the customer is silent, and --name renames."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app.console_chat import ChatSession
from bot.core.clock import FakeClock
from bot.storage.models import Contact, ContactIdentity
from tests.chat_support import QUESTION, TIMED_OUT, Terminal, workflows
from tests.conftest import make_settings


async def test_a_question_times_out_while_the_customer_is_silent(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = make_settings(database_url, RELAYBOT_WORKFLOWS_DIR=str(workflows(tmp_path)))
    terminal = Terminal()
    chat = await ChatSession.open(settings, clock, "silent", write=terminal.write)
    try:
        await chat.say("hi")
        assert terminal.printed[-1] == f"bot> {QUESTION}"
        async with _running(chat.converse(terminal.read)) as done:
            clock.advance(timedelta(seconds=21))
            await terminal.seen(TIMED_OUT)  # nobody typed: the session's timer loop fired it
            terminal.typed.put_nowait("/quit")
            assert await done == 0
    finally:
        await chat.close()


async def test_name_renames_a_returning_customer(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = make_settings(database_url, RELAYBOT_WORKFLOWS_DIR=str(workflows(tmp_path)))
    for name in ["Ada", "Grace", None]:
        chat = await ChatSession.open(settings, clock, "regular", name, write=lambda _: None)
        try:
            await chat.say("hello")
            async with chat.services.db.read() as session:
                names = list(
                    await session.scalars(
                        select(Contact.name)
                        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
                        .where(
                            ContactIdentity.channel == "console",
                            ContactIdentity.external_id == "regular",
                        )
                    )
                )
        finally:
            await chat.close()
        assert names == ["Grace" if name is None else name]  # no --name keeps the last one


@contextlib.asynccontextmanager
async def _running(conversing: Coroutine[Any, Any, int]) -> AsyncIterator[asyncio.Task[int]]:
    """The conversation as a task, cancelled if the test leaves early."""
    task = asyncio.create_task(conversing)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
