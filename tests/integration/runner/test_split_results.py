"""A/B results over real runs: 200 customers through a 1:1 split, some reach the goal (a
tag within a day), some too late or with another tag; each branch's runs, goals, rate and
interval come out as made."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.split_cli import _promote, _split
from bot.domain import audit
from bot.domain.split_results import split_results, wilson
from bot.pipeline.services import Services
from tests.integration.console.support import audit_lines
from tests.integration.runner.flows import start, tag

AB = """
name: greeting-test
trigger: {event: conversation.created}
steps:
  - id: test
    type: split
    branches:
      - {name: short, goto: short}
      - {name: long, goto: long}
    goal: {event: tag.added, tag: bought, within: 1d}
  - {id: short, type: send_message, text: "Hi", next: end}
  - {id: long, type: send_message, text: "Hello, how can we help today?"}
"""


async def test_each_branch_counts_its_runs_and_the_goals_reached_in_time(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(services, tmp_path, AB)
    since = bot.clock.now()
    for number in range(200):
        await bot.say("hi", chat=f"c{number}")
    replies = bot.take()
    branch_of = {run.conversation_id: run for run in await bot.runs()}
    assert len(branch_of) == 200
    shorts = replies.count("Hi")
    assert 70 <= shorts <= 130

    conversations = sorted(c for c in branch_of if c is not None)
    reached = conversations[::3]
    for conversation in reached:
        await tag(bot, conversation, "bought")
    for conversation in conversations[1::3][:10]:
        await tag(bot, conversation, "browsing")  # another tag: not the goal
    bot.clock.advance(timedelta(days=2))
    for conversation in conversations[2::3][:10]:
        await tag(bot, conversation, "bought")  # too late: outside the window

    [result] = await split_results(
        services.uow, "greeting-test", since, bot.clock.now() + timedelta(seconds=1)
    )
    assert result.step_id == "test"
    assert result.goal == {"event": "tag.added", "tag": "bought", "within": "1d"}
    by_name = {b.name: b for b in result.branches}
    assert set(by_name) == {"short", "long"}
    assert by_name["short"].runs == shorts
    assert by_name["short"].runs + by_name["long"].runs == 200
    assert by_name["short"].goals + by_name["long"].goals == len(reached)
    for branch in result.branches:
        assert branch.rate == branch.goals / branch.runs
        assert (branch.low, branch.high) == wilson(branch.goals, branch.runs)
        assert branch.low is not None and branch.high is not None
        assert branch.low < branch.rate < branch.high


async def test_a_period_without_the_splits_has_no_results(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(services, tmp_path, AB)
    await bot.say("hi")
    later = bot.clock.now() + timedelta(days=1)
    assert await split_results(services.uow, "greeting-test", later, later + timedelta(1)) == []


def test_the_wilson_interval_matches_a_worked_example() -> None:
    low, high = wilson(40, 100)
    assert round(low, 4) == 0.3094 and round(high, 4) == 0.4980
    assert wilson(0, 0) == (0.0, 1.0)


async def test_promoting_the_winner_publishes_a_version_without_the_split(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await start(services, tmp_path, AB)
    for number in range(6):
        await bot.say("hi", chat=f"c{number}")
    assert set(bot.take()) == {"Hi", "Hello, how can we help today?"}

    args = argparse.Namespace(name="greeting-test", step="test", branch="long")
    assert await _promote(args, services) == 0
    assert capsys.readouterr().out == "greeting-test v2: test promoted to long\n"
    await bot.runner.catalog.refresh()
    for number in range(6, 12):
        await bot.say("hi", chat=f"c{number}")
    assert bot.take() == ["Hello, how can we help today?"] * 6
    [line] = await audit_lines(services, audit.WORKFLOW_SPLIT_PROMOTED)
    assert line.target == "greeting-test"
    assert line.details == {"step": "test", "branch": "long", "from": 1, "to": 2}

    wrong = argparse.Namespace(name="greeting-test", step="short", branch="long")
    assert await _promote(wrong, services) == 1
    assert "is a send_message, not a split" in capsys.readouterr().err


async def test_the_results_command_prints_each_branch(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = await start(services, tmp_path, AB)
    for number in range(20):
        await bot.say("hi", chat=f"c{number}")
    for run in (await bot.runs())[:5]:
        assert run.conversation_id is not None
        await tag(bot, run.conversation_id, "bought")
    args = argparse.Namespace(name="greeting-test", days=30.0, json=False)
    assert await _split(args, services) == 0
    heading, *rows = capsys.readouterr().out.splitlines()
    assert heading == "test: goal tag.added bought within 1d"
    assert [row.split()[0] for row in rows] == ["long", "short"]
    assert sum(int(row.split()[1]) for row in rows) == 20
    assert sum(int(row.split()[3]) for row in rows) == 5
    assert all("(95 % " in row for row in rows)
