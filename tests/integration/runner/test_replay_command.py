"""`relaybot workflows replay`: real runs made through the pipeline, then a changed file
replayed against them: the counts, the run that would differ with the values compared, and
nothing sent, stored or scheduled by the replay."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app.replay_cli import _replay
from bot.domain.workflow_replay import replay_last
from bot.pipeline.services import Services
from bot.storage.models import OutboxItem, RunLog, Timer, WorkflowRun
from tests.integration.runner.flows import start, write_flows
from workflows.loader import load_text

SURVEY = """
name: survey
trigger: {event: conversation.created}
steps:
  - id: ask_score
    type: ask_question
    question: "From 1 to 10?"
    answer_type: number
    timeout: 1h
  - id: route
    type: branch
    cases:
      - when: {field: vars.answer_ask_score, op: gte, value: 9}
        goto: thanks
    else: sorry
  - {id: thanks, type: send_message, text: "Thanks!", next: end}
  - {id: sorry, type: send_message, text: "Sorry to hear."}
"""


async def _counts(services: Services) -> tuple[int, ...]:
    async with services.db.session() as session:
        return tuple(
            [
                int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (OutboxItem, Timer, WorkflowRun, RunLog)
            ]
        )


async def test_a_lower_threshold_differs_for_the_customer_who_gave_8(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await start(services, tmp_path, SURVEY)
    for chat, score in (("c1", "10"), ("c2", "8"), ("c3", "3")):
        await bot.say("hi", chat=chat)
        await bot.say(score, chat=chat)
    await bot.settle()
    assert sorted(bot.replies()).count("Thanks!") == 1
    before = await _counts(services)

    draft = load_text(SURVEY.replace("value: 9", "value: 7"))
    report = await replay_last(services.uow, draft, 10, services.clock.now())
    assert report.counts == {
        "same": 2,
        "differs": 1,
        "fails": 0,
        "would_not_start": 0,
        "not_comparable": 0,
    }
    [differs] = [o for o in report.outcomes if o.verdict == "differs"]
    assert differs.step_id == "route"
    assert differs.reason == "after route: goes to thanks instead of sorry"
    assert [(c["actual"], c["result"]) for c in differs.checks] == [(8, True)]
    assert [c["result"] for c in differs.recorded_checks] == [False]
    assert await _counts(services) == before

    [path] = write_flows(tmp_path, SURVEY.replace("value: 9", "value: 7"))
    args = argparse.Namespace(file=str(path), last=10, json=False, show=20)
    assert await _replay(args, services) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(": 2 same path, 1 differ")
    assert "after route: goes to thanks instead of sorry" in out
    assert "vars.answer_ask_score gte 7: value" in out
    assert await _counts(services) == before


async def test_a_file_for_a_workflow_never_stored_is_refused(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [path] = write_flows(tmp_path, SURVEY.replace("name: survey", "name: nowhere"))
    args = argparse.Namespace(file=str(path), last=10, json=False, show=20)
    assert await _replay(args, services) == 1
    assert "no workflow named 'nowhere'" in capsys.readouterr().err
