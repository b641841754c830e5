"""Many runs at once: events started together, due timers fired together, same results as alone."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.events import DomainEvent, EventDispatcher
from bot.pipeline.run_store import StaleRunError, lock_key, write_runs
from bot.pipeline.services import Services
from bot.storage.models import Event, RunLog, WorkflowRun
from tests.engine_events import statements
from tests.harness import Harness
from tests.integration.runner.flows import start
from workflows.inputs import Answer

GREET_AND_ASK = """
    name: greet
    trigger: {event: conversation.created}
    steps:
      - {type: send_message, text: "Hello {{ contact.name }}"}
      - {type: ask_question, question: "What do you need?", save_to: vars.need}
      - {type: send_message, text: "Noted: {{ vars.need }}"}
    """
WAIT_THEN_NUDGE = """
    name: nudge
    trigger: {event: conversation.created}
    steps:
      - {type: wait, duration: 1h}
      - {type: send_message, text: "Still there, {{ contact.name }}?"}
    """
CHATS = [f"chat-{i}" for i in range(12)]


async def arrive(bot: Harness, text: str = "hi") -> None:
    """Every chat writes before anything is delivered."""
    for chat in CHATS:
        await bot.services.inbox.receive(
            InboundMessage(
                channel=bot.channel.name,
                external_conversation_id=chat,
                external_message_id=f"{chat}-{text}",
                sender=SenderProfile(external_id=chat, name=chat.title()),
                text=text,
            )
        )


async def pending_events(services: Services, type_: str) -> list[DomainEvent]:
    async with services.db.read() as session:
        rows = await session.scalars(
            select(Event)
            .where(Event.type == type_, Event.delivered_at.is_(None))
            .order_by(Event.id)
        )
        return [DomainEvent.from_row(row) for row in rows]


async def test_events_started_together_write_their_runs_in_one_statement(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(services, tmp_path, GREET_AND_ASK)
    await arrive(bot)
    created = await pending_events(services, "conversation.created")
    with statements(services, reads=False) as seen:
        results = await bot.runner.starts.start_together(created)
    assert [len(result.begun) for result in results] == [1] * len(CHATS)
    assert len([s for s in seen if s.startswith("INSERT INTO workflow_runs")]) == 1
    await bot.settle()
    runs = await bot.runs()
    assert len(runs) == len(CHATS)
    assert {(r.status, r.waiting_for) for r in runs} == {("waiting", "answer")}
    for chat in CHATS:
        assert bot.replies(chat) == [f"Hello {chat.title()}", "What do you need?"]
    # the customers' first messages were not taken as answers; their next ones are
    await arrive(bot, "a refund")
    await bot.settle()
    for chat in CHATS:
        assert bot.replies(chat)[-1] == "Noted: a refund"
    assert {r.status for r in await bot.runs()} == {"completed"}


async def test_a_redelivered_group_starts_nothing_twice(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, GREET_AND_ASK)
    await arrive(bot)
    created = await pending_events(services, "conversation.created")
    await bot.runner.starts.start_together(created)
    again = await bot.runner.starts.start_together(created)
    assert [result.begun for result in again] == [[]] * len(CHATS)
    assert len(await bot.runs()) == len(CHATS)


async def test_a_second_asking_workflow_waits_its_turn_as_when_started_alone(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services, tmp_path, GREET_AND_ASK, GREET_AND_ASK.replace("name: greet", "name: other")
    )
    await arrive(bot)
    await bot.settle()
    runs = await bot.runs()
    # per conversation the first workflow asks; the second is held back, as one by one
    assert len(runs) == len(CHATS)
    async with services.db.read() as session:
        held = list(await session.scalars(select(RunLog.message).where(RunLog.kind == "skip")))
    assert held == ["not started: another run is waiting for this customer's answer"] * len(CHATS)


async def test_due_timers_fire_together(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, WAIT_THEN_NUDGE)
    await arrive(bot)
    await bot.settle()
    assert {r.waiting_for for r in await bot.runs()} == {"timer"}
    bot.clock.advance(timedelta(hours=1))
    with statements(services, reads=False) as seen:
        fired = await services.scheduler.run_once()
    assert fired == len(CHATS)
    updates = [s for s in seen if s.startswith("UPDATE workflow_runs")]
    if services.db.dialect == "sqlite":  # asyncpg counts no rows of an executemany: one each there
        assert len(updates) == 1
    await bot.settle()
    for chat in CHATS:
        assert bot.replies(chat) == [f"Still there, {chat.title()}?"]
    assert {r.status for r in await bot.runs()} == {"completed"}
    assert await services.scheduler.run_once() == 0


async def test_one_resumed_run_goes_the_batch_way(services: Services, tmp_path: Path) -> None:
    """A single resume is a batch of one: its reply reuses the conversation row its
    context was built from instead of reading it again."""
    bot = await start(services, tmp_path, GREET_AND_ASK)
    await arrive(bot)
    await bot.settle()
    run = (await bot.runs())[0]
    with statements(services) as seen:
        await bot.runner.resume(run.id, Answer(text="a refund"))
    assert len([s for s in seen if re.search(r"\bFROM conversations\b", s)]) == 1
    await bot.settle()
    assert bot.replies(CHATS[0])[-1] == "Noted: a refund"
    assert [r.status for r in await bot.runs()].count("completed") == 1


async def test_a_busy_conversation_fires_after_the_others(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(services, tmp_path, WAIT_THEN_NUDGE)
    await arrive(bot)
    await bot.settle()
    busy = (await bot.runs())[0]
    bot.clock.advance(timedelta(hours=1))
    async with services.locks.hold(lock_key(busy.conversation_id, None)):
        firing = asyncio.create_task(services.scheduler.run_once())
        for _ in range(10_000):  # the batch goes on without the busy run
            if await _completed_runs(services) == len(CHATS) - 1:
                break
            await asyncio.sleep(0)
        assert await _completed_runs(services) == len(CHATS) - 1
        assert not firing.done()
    assert await firing == len(CHATS)
    await bot.settle()
    assert sorted(len(bot.replies(chat)) for chat in CHATS) == [1] * len(CHATS)


async def _completed_runs(services: Services) -> int:
    async with services.db.read() as session:
        runs = await session.scalars(select(WorkflowRun).where(WorkflowRun.status == "completed"))
        return len(list(runs))


async def test_a_dispatcher_burst_starts_every_conversation_once(
    services: Services, tmp_path: Path
) -> None:
    """Through the real dispatcher: the burst of events groups, and each run starts once."""
    bot = await start(services, tmp_path, GREET_AND_ASK)
    await arrive(bot)
    dispatcher = EventDispatcher(services.db, bot.clock, services.signals)
    dispatcher.subscribe(bot.runner.on_event)
    await dispatcher.drain()
    await bot.settle()
    runs = await bot.runs()
    assert sorted(r.conversation_id for r in runs) == sorted({r.conversation_id for r in runs})
    assert len(runs) == len(CHATS)


async def test_runs_of_one_conversation_fire_in_turn(services: Services, tmp_path: Path) -> None:
    """The second run due in a conversation sees what the first one's call changed."""
    bot = await start(
        services,
        tmp_path,
        """
        name: tagger
        trigger: {event: conversation.created}
        steps:
          - {type: wait, duration: 1h}
          - {type: add_tag, tag: followed-up}
        """,
        """
        name: reader
        trigger: {event: conversation.created}
        steps:
          - {type: wait, duration: 1h}
          - id: check
            type: branch
            cases:
              - when: {all: [{field: conversation.tags, op: contains, value: followed-up}]}
                goto: seen
            else: unseen
          - {id: seen, type: send_message, text: "seen", next: end}
          - {id: unseen, type: send_message, text: "not seen"}
        """,
    )
    await arrive(bot)
    await bot.settle()
    bot.clock.advance(timedelta(hours=1))
    assert await services.scheduler.run_once() == 2 * len(CHATS)
    await bot.settle()
    for chat in CHATS:
        assert bot.replies(chat) == ["seen"]
    assert {r.status for r in await bot.runs()} == {"completed"}


async def test_runs_stored_together_are_refused_if_one_changed_meanwhile(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(services, tmp_path, WAIT_THEN_NUDGE)
    await arrive(bot)
    await bot.settle()
    first, second, *_ = await bot.runs()

    def row(run: WorkflowRun, seen: int) -> dict[str, Any]:
        return {
            "b_id": run.id,
            "b_seen": seen,
            "v_state": run.state,
            "v_status": "failed",
            "v_waiting_for": None,
            "v_lock_version": run.lock_version + 1,
            "v_updated_at": bot.clock.now(),
            "v_error": "overwritten",
            "v_finished_at": bot.clock.now(),
        }

    with pytest.raises(StaleRunError):
        async with services.uow() as tx:
            await write_runs(
                tx, [row(first, first.lock_version), row(second, second.lock_version - 1)]
            )
    assert {(r.status, r.lock_version) for r in await bot.runs()} == {
        ("waiting", first.lock_version)
    }
    async with services.uow() as tx:
        await write_runs(tx, [row(first, first.lock_version), row(second, second.lock_version)])
    stored = {r.id: (r.status, r.error) for r in await bot.runs()}
    assert stored[first.id] == stored[second.id] == ("failed", "overwritten")
