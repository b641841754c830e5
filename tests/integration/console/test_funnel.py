"""A workflow's funnel over HTTP: its counts equal the runs the engine made (reached, exits,
failed, stuck), only the runs started in the period count (the clock is a FakeClock), and
the page shows the same numbers in its table, its embedded data and its graph badges."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.core.clock import FakeClock
from tests.integration.console.http_support import BEARER
from tests.integration.console.runs_support import (
    Console,
    agent_console,
    console_url,
    open_console,
)

__all__ = ["agent_console", "console_url"]


def by_step(funnel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["step_id"]: step for step in funnel["steps"]}


def exits(step: dict[str, Any]) -> dict[tuple[str, str | None], int]:
    return {(e["exit"], e["to"]): e["runs"] for e in step["exits"]}


async def make_runs(console: Console) -> None:
    """Two finished, one failed, one waiting; one message started nothing."""
    for text in ("hello", "it is broken", "talk later", "hi again", "ignore me"):
        await console.write(text)


async def test_the_funnel_counts_the_runs_made(agent_console: Console) -> None:
    console = agent_console
    await make_runs(console)
    funnel = await console.json("/api/workflows/triage/funnel")
    assert funnel["totals"] == {
        "started": 4,
        "completed": 2,
        "cancelled": 0,
        "failed": 1,
        "in_progress": 1,
    }
    assert [s["step_id"] for s in funnel["steps"]] == ["hello", "route", "pause", "broken", "bye"]
    steps = by_step(funnel)
    assert {k: s["reached"] for k, s in steps.items()} == {
        "hello": 4,
        "route": 4,
        "pause": 1,
        "broken": 1,
        "bye": 2,
    }
    assert exits(steps["hello"]) == {("", "route"): 4}
    assert exits(steps["route"]) == {("", "bye"): 2, ("", "pause"): 1, ("", "broken"): 1}
    assert exits(steps["pause"]) == {} and steps["pause"]["stuck"] == 1
    assert exits(steps["broken"]) == {} and steps["broken"]["failed"] == 1
    assert exits(steps["bye"]) == {("", None): 2}
    assert sum(s["failed"] for s in funnel["steps"]) == 1
    assert sum(s["stuck"] for s in funnel["steps"]) == 1
    # the same numbers on the graph: s0..s4 are the steps in order
    assert funnel["badges"] == {
        "trigger": "4 started",
        "done": "2 completed",
        "s0": "4",
        "s1": "4",
        "s2": "1 · 1 waiting",
        "s3": "1 · 1 failed",
        "s4": "2",
    }
    assert funnel["edge_badges"] == {
        "trigger->s0": "4",
        "s0->s1": "4",
        "s1->s4": "2",
        "s1->s2": "1",
        "s1->s3": "1",
        "s4->done": "2",
    }

    # a week later the wait is over: the run leaves the pause for bye and finishes
    console.clock.advance(timedelta(days=7))
    await console.bot.settle()
    funnel = await console.json("/api/workflows/triage/funnel?period=30d", **BEARER)
    steps = by_step(funnel)
    assert steps["pause"]["stuck"] == 0 and exits(steps["pause"]) == {("", "bye"): 1}
    assert steps["bye"]["reached"] == 3 and funnel["totals"]["completed"] == 3


async def test_only_runs_started_in_the_period_count(agent_console: Console) -> None:
    console = agent_console
    await make_runs(console)  # 2026-01-05 09:00
    console.clock.advance(timedelta(days=3))
    await console.write("hello once more")  # 2026-01-08 09:00; the session ends: the token
    console.clock.advance(timedelta(hours=1))

    async def started(query: str) -> int:
        funnel = await console.json(f"/api/workflows/triage/funnel?{query}", **BEARER)
        hello = by_step(funnel)["hello"]["reached"]
        assert hello == funnel["totals"]["started"]
        return int(hello)

    assert await started("period=24h") == 1
    assert await started("period=7d") == 5
    assert await started("") == 5  # 7 days by default
    assert await started("since=2026-01-05T08:00&until=2026-01-05T10:00") == 4
    assert await started("since=2026-01-06T00:00&until=2026-01-07T00:00") == 0
    assert await started("since=2026-01-08T09:00") == 1  # until now
    assert await started("until=2026-01-08T09:00") == 4  # the 7 days before it
    console.clock.advance(timedelta(days=30))
    assert await started("period=30d") == 0


async def test_the_page_shows_the_numbers_in_its_table(agent_console: Console) -> None:
    console = agent_console
    await make_runs(console)
    page = await console.html("/console/workflows/triage/funnel?period=24h")
    rows = {
        found.group(1): found.group(0)
        for found in re.finditer(
            r'<tr><th scope="row" data-label="Step"><code>(\w+)</code>.*?</tr>', page
        )
    }
    assert list(rows) == ["hello", "route", "pause", "broken", "bye"]

    def cell(step: str, label: str) -> str:
        found = re.search(rf'<td data-label="{label}"[^>]*>(.*?)</td>', rows[step])
        assert found is not None
        return found.group(1)

    assert [cell(s, "Reached") for s in rows] == ["4", "4", "1", "1", "2"]
    assert [cell(s, "Failed here") for s in rows] == ["0", "0", "0", "1", "0"]
    assert [cell(s, "Waiting here now") for s in rows] == ["0", "0", "1", "0", "0"]
    assert "<li>next → <code>bye</code>: <strong>2</strong></li>" in cell("route", "Left by")
    assert "<li>next → the end: <strong>2</strong></li>" in cell("bye", "Left by")
    assert 'aria-current="true">Last 24 hours</a>' in page
    assert '<canvas id="funnel-chart"' in page and 'src="/console/static/funnel.js"' in page
    data = re.search(r'<script type="application/json" id="funnel-data">(.*?)</script>', page)
    assert data is not None
    embedded = json.loads(data.group(1))
    assert embedded == await console.json("/api/workflows/triage/funnel?period=24h")


async def test_bad_funnel_requests_are_refused(agent_console: Console) -> None:
    console = agent_console
    assert (await console.json("/api/workflows/nobody/funnel", 404))["error"]
    await console.html("/console/workflows/nobody/funnel", 404)
    answer = await console.json("/api/workflows/triage/funnel?period=1y", 400)
    assert answer["error"]["field"] == "period"
    answer = await console.json(
        "/api/workflows/triage/funnel?since=2026-01-05T10:00&until=2026-01-05T09:00", 400
    )
    assert answer["error"]["field"] == "since"
    await console.html("/console/workflows/triage/funnel?since=soon", 400)
    answer = await console.json("/api/workflows/triage/funnel?until=0001-01-01T00:00", 400)
    assert answer["error"]["field"] == "until"


SURVEY = """
name: survey
trigger: {event: conversation.created}
steps:
  - id: ask
    type: ask_question
    question: "How would you rate us, 1 to 5?"
    answer_type: number
    validation: {min: 1, max: 5}
    max_attempts: 3
    exits: {invalid: sorry}
  - {id: thanks, type: send_message, text: "Thanks", next: end}
  - {id: sorry, type: send_message, text: "Sorry, we could not read that"}
"""


async def test_a_question_asked_again_is_one_visit(
    console_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    """Retries stay at the step: only where the run went after it counts as leaving it."""
    console = await open_console(console_url, clock, tmp_path, "ana@example.com", (SURVEY,))
    try:
        bot = console.bot
        for chat, answers in (("a", ["9", "4"]), ("b", ["x", "y", "z"]), ("c", [])):
            await bot.say("hi", chat=chat)
            for answer in answers:
                await bot.say(answer, chat=chat)
        funnel = await console.json("/api/workflows/survey/funnel")
    finally:
        await console.client.close()
    steps = by_step(funnel)
    assert {k: s["reached"] for k, s in steps.items()} == {"ask": 3, "thanks": 1, "sorry": 1}
    assert exits(steps["ask"]) == {("answered", "thanks"): 1, ("invalid", "sorry"): 1}
    assert steps["ask"]["stuck"] == 1 and steps["ask"]["failed"] == 0
    assert exits(steps["thanks"]) == {("", None): 1} and exits(steps["sorry"]) == {("", None): 1}
    assert funnel["totals"] == {
        "started": 3,
        "completed": 2,
        "cancelled": 0,
        "failed": 0,
        "in_progress": 1,
    }
    assert funnel["edge_badges"]["s0->s1"] == "1" and funnel["edge_badges"]["s0->s2"] == "1"
