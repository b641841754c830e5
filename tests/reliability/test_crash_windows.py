"""A process stopping right after a commit: what that commit holds must be a consistent state.

The stop is simulated by an exception raised just after the commit of the first
transaction that inserts a workflow run (the process dies there; nothing after it runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.orm import Session

from bot.pipeline.services import Services
from bot.pipeline.settle import settle
from bot.storage.models import OutboxItem
from tests.integration.runner.flows import start


class Died(Exception):
    """The process stops here."""


@pytest.fixture
def die_after_first_run_commit() -> Iterator[list[bool]]:
    died: list[bool] = []

    def after_begin(session: Session, _transaction: Any, connection: Connection) -> None:
        connection.info["session"] = session  # whose transaction the connection runs now

    def after_execute(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        session = connection.info.get("session")
        if session is not None and statement.startswith("INSERT INTO workflow_runs"):
            session.info["inserts_run"] = True

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint released, not the commit
            return
        if session.info.pop("inserts_run", False) and not died:
            died.append(True)
            raise Died

    event.listen(Session, "after_begin", after_begin)
    event.listen(Engine, "after_cursor_execute", after_execute)
    event.listen(Session, "after_commit", after_commit)
    yield died
    event.remove(Session, "after_begin", after_begin)
    event.remove(Engine, "after_cursor_execute", after_execute)
    event.remove(Session, "after_commit", after_commit)


async def test_a_run_is_stored_with_its_first_step(
    services: Services, tmp_path: Path, die_after_first_run_commit: list[bool]
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: greet
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: "Hello!"}
          - {type: ask_question, question: "How can I help?", timeout: 30m, save_to: vars.topic}
        """,
    )
    await bot.say("hi")
    assert die_after_first_run_commit == [True]
    (run,) = await bot.runs()
    assert (run.status, run.waiting_for) == ("waiting", "answer")
    async with services.db.session() as session:
        queued = [item.payload["text"] for item in await session.scalars(select(OutboxItem))]
    assert queued == ["Hello!", "How can I help?"]
    await settle(services)
    assert bot.replies() == ["Hello!", "How can I help?"]
