"""Run-level rules: one run per trigger event, the step cap, versions, disabled workflows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from bot.domain.workflow_store import import_files, set_enabled
from bot.pipeline.events import EventDispatcher
from bot.pipeline.services import Services
from bot.storage.models import Event
from tests.harness import Harness
from tests.integration.runner.flows import messages, start, write_flows


async def test_redelivered_message_event_starts_no_second_run(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: echo
        trigger: {event: message.received}
        steps:
          - {type: send_message, text: "got {{ message.text }}"}
        """,
    )
    await bot.say("one")
    async with services.db.session() as session:
        await session.execute(update(Event).values(delivered_at=None))
        await session.commit()
    again = EventDispatcher(services.db, bot.clock, services.signals)
    again.subscribe(bot.runner.on_event)
    await again.drain()
    await bot.settle()
    assert len(await bot.runs()) == 1
    assert bot.take() == ["got one"]


async def test_step_cap_fails_the_run(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: spin
        trigger: {event: conversation.created}
        steps:
          - {id: a, type: set_variable, name: x, value: "1"}
          - {id: b, type: jump_to, target: a, max_jumps: 100}
        """,
    )
    await bot.say("hi")
    (run,) = await bot.runs()
    assert run.status == "failed"
    assert (
        run.error == "stopped after 100 steps without waiting (a loop without a wait or question?)"
    )
    errors = messages(await bot.logs(run.id), "error")
    assert errors == [f"run failed: {run.error}"]


async def test_a_run_keeps_its_version(services: Services, tmp_path: Path) -> None:
    (path,) = write_flows(
        tmp_path,
        """
        name: versions
        trigger: {event: conversation.created}
        steps:
          - {type: ask_question, question: "v1 question?", save_to: vars.answer}
          - {type: send_message, text: "v1 thanks"}
        """,
    )
    bot = await Harness.start(services, path)
    await bot.say("hi", chat="old")
    path.write_text(path.read_text().replace("v1", "v2"))
    (imported,) = await import_files(services.uow, [path])
    assert (imported.action, imported.version) == ("updated", 2)
    await bot.runner.catalog.refresh()
    await bot.say("hi", chat="new")
    await bot.say("yes", chat="old")
    await bot.say("yes", chat="new")
    assert bot.replies("old") == ["v1 question?", "v1 thanks"]
    assert bot.replies("new") == ["v2 question?", "v2 thanks"]
    old, new = await bot.runs()
    assert old.version_id != new.version_id
    assert old.status == new.status == "completed"


async def test_disabled_workflow_logs_a_skip(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: off
        enabled: false
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: hello}
        """,
    )
    await bot.say("hi")
    assert bot.take() == []
    assert await bot.runs() == []
    (skip,) = [log for log in await bot.logs() if log.kind == "skip"]
    assert skip.run_id is None and skip.workflow_id is not None
    assert skip.message.endswith(": disabled") and "conversation.created" in skip.message


async def test_enabling_a_workflow_later(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: toggled
        trigger: {event: message.received}
        steps:
          - {type: send_message, text: hello}
        """,
    )
    assert await set_enabled(services.uow, "toggled", False)
    await bot.say("one")
    assert bot.take() == []
    assert await set_enabled(services.uow, "toggled", True)
    await bot.say("two")
    assert bot.take() == ["hello"]


async def test_only_one_run_waits_for_the_answer(services: Services, tmp_path: Path) -> None:
    asking = """
        name: NAME
        trigger: {event: conversation.created}
        steps:
          - {type: ask_question, question: "NAME?"}
        """
    bot = await start(
        services, tmp_path, asking.replace("NAME", "first"), asking.replace("NAME", "second")
    )
    await bot.say("hi")
    assert len(bot.take()) == 1
    (run,) = await bot.runs()
    assert run.status == "waiting"
    (skip,) = messages(await bot.logs(), "skip")
    assert skip == "not started: another run is waiting for this customer's answer"


async def test_an_answer_starts_no_asking_workflow_but_others_still_run(
    services: Services, tmp_path: Path
) -> None:
    """The message that answers a question is the answer: it does not also start a
    workflow that asks (itself again, say); workflows that only act on messages still do."""
    bot = await start(
        services,
        tmp_path,
        """
        name: survey
        trigger: {event: message.received}
        steps:
          - {type: ask_question, question: "Score?", answer_type: number}
          - {type: send_message, text: "Thanks"}
        """,
        """
        name: echo
        trigger: {event: message.received}
        steps:
          - {type: send_message, text: "got it"}
        """,
    )
    await bot.say("hi")
    assert sorted(bot.take()) == ["Score?", "got it"]
    await bot.say("4")
    assert sorted(bot.take()) == ["Thanks", "got it"]
    statuses = sorted(run.status for run in await bot.runs())
    assert statuses == ["completed", "completed", "completed"]
    assert "not started: the message answered another run's question" in messages(
        await bot.logs(), "skip"
    )
