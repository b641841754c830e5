"""A/B tests over HTTP: 200 conversations through a 1:1 split made by the engine, some
tagged with the goal; the API and the funnel page show the same counts; an admin promotes
a branch through the page (a new current version without the split, an audit line, new
conversations all take that branch); agents may read but not promote."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.domain import audit
from bot.domain.split_results import wilson
from tests.integration.console.http_support import BEARER, form_token
from tests.integration.console.runs_support import Console, console_url, open_console
from tests.integration.console.support import audit_lines
from tests.integration.runner.flows import tag

__all__ = ["console_url"]

AB = """
name: greeting-test
trigger: {event: conversation.created}
steps:
  - {id: hello, type: send_message, text: "Welcome"}
  - id: test
    type: split
    branches:
      - {name: short, goto: short}
      - {name: long, goto: long}
    goal: {event: tag.added, tag: bought, within: 1d}
  - {id: short, type: send_message, text: "Hi", next: end}
  - {id: long, type: send_message, text: "Hello, how can we help today?"}
"""
SHORT, LONG = "Hi", "Hello, how can we help today?"
SPLITS = "/api/workflows/greeting-test/splits"
PROMOTE_PAGE = "/console/workflows/greeting-test/splits/test/promote"


@pytest.fixture
async def admin_ab(console_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Console]:
    console = await open_console(console_url, clock, tmp_path, "adam@example.com", (AB,))
    try:
        yield console
    finally:
        await console.client.close()


@pytest.fixture
async def agent_ab(console_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Console]:
    console = await open_console(console_url, clock, tmp_path, "ana@example.com", (AB,))
    try:
        yield console
    finally:
        await console.client.close()


async def conversations(console: Console, count: int, first: int = 0) -> list[str]:
    """``count`` customers each start a conversation; the replies after the welcome."""
    for number in range(first, first + count):
        await console.bot.say("hi", chat=f"c{number}")
    return [text for text in console.bot.take() if text != "Welcome"]


def branch_rows(page: str) -> dict[str, list[str]]:
    """The A/B table's cells per branch, in the page's order."""
    rows = re.findall(
        r'<tr><th scope="row" data-label="Branch"><code>([\w.-]+)</code></th>(.*?)</tr>', page
    )
    return {name: re.findall(r"<td [^>]*>(.*?)</td>", cells) for name, cells in rows}


def embedded_splits(page: str) -> Any:
    found = re.search(r'<script type="application/json" id="splits-data">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))


async def test_the_api_and_the_page_show_the_counts_made(admin_ab: Console) -> None:
    console = admin_ab
    replies = await conversations(console, 200)
    shorts = replies.count(SHORT)
    assert 70 <= shorts <= 130 and replies.count(LONG) == 200 - shorts
    runs = await console.bot.runs()
    reached = sorted(r.conversation_id for r in runs if r.conversation_id is not None)[::3]
    for conversation in reached:
        await tag(console.bot, conversation, "bought")
    for conversation in reached[:10]:
        await tag(console.bot, conversation + 1, "browsing")  # another tag: not the goal

    found = await console.json(SPLITS)
    assert found["workflow"] == "greeting-test" and found["version"] == 1
    [split] = found["splits"]
    assert split["step_id"] == "test" and split["current"] is True
    assert split["goal"] == {"event": "tag.added", "tag": "bought", "within": "1d"}
    assert split["goal_text"] == "the tag bought added within 1d of the split"
    branches = {b["name"]: b for b in split["branches"]}
    assert list(branches) == ["short", "long"]  # as the split lists them
    assert branches["short"]["runs"] == shorts and branches["long"]["runs"] == 200 - shorts
    assert branches["short"]["goals"] + branches["long"]["goals"] == len(reached)
    for b in branches.values():
        assert b["rate"] == b["goals"] / b["runs"]
        assert [b["low"], b["high"]] == list(wilson(b["goals"], b["runs"]))

    page = await console.html("/console/workflows/greeting-test/funnel")
    assert '<h2 id="ab-0-title">A/B test: test</h2>' in page
    assert "Goal: the tag bought added within 1d of the split." in page
    rows = branch_rows(page)
    assert list(rows) == ["short", "long"]
    for name, b in branches.items():
        runs_cell, goals_cell, rate, interval = rows[name]
        assert (runs_cell, goals_cell) == (str(b["runs"]), str(b["goals"]))
        assert rate == f"{b['rate']:.1%}"
        assert interval == f"{b['low']:.1%} to {b['high']:.1%}"
    assert embedded_splits(page) == found
    assert '<canvas id="ab-chart-0" data-split="0"' in page
    assert page.count(f'action="{PROMOTE_PAGE}"') == 2
    assert ">Promote short</button>" in page and ">Promote long</button>" in page


async def test_an_admin_promotes_a_branch_through_the_page(admin_ab: Console) -> None:
    console = admin_ab
    assert set(await conversations(console, 20)) == {SHORT, LONG}
    page = await console.html("/console/workflows/greeting-test/funnel")
    token = form_token(page)

    unticked = await console.client.post(
        PROMOTE_PAGE, data={"csrf_token": token, "branch": "long"}, allow_redirects=False
    )
    assert unticked.status == 400
    assert "confirm: tick the box" in await unticked.text()
    wrong = await console.client.post(
        PROMOTE_PAGE,
        data={"csrf_token": token, "branch": "medium", "confirm": "yes"},
        allow_redirects=False,
    )
    assert wrong.status == 400
    assert "has no branch" in await wrong.text()
    assert (await console.json("/api/workflows/greeting-test"))["version"] == 1

    answer = await console.client.post(
        PROMOTE_PAGE,
        data={"csrf_token": token, "branch": "long", "confirm": "yes"},
        allow_redirects=False,
    )
    assert answer.status == 303
    location = "/console/workflows/greeting-test?rolled_back=2&promoted=long"
    assert answer.headers["Location"] == location
    shown = await console.html(location)
    assert "long promoted: v2 has no split there; new runs start on it." in shown
    current = await console.json("/api/workflows/greeting-test")
    assert current["version"] == 2
    assert "split" not in current["yaml"] and "id: long" in current["yaml"]
    [line] = await audit_lines(console.bot.services, audit.WORKFLOW_SPLIT_PROMOTED)
    assert line.target == "greeting-test" and line.actor == "adam@example.com"
    assert line.details == {"step": "test", "branch": "long", "from": 1, "to": 2}

    await console.bot.runner.catalog.refresh()
    assert await conversations(console, 10, first=20) == [LONG] * 10
    page = await console.html("/console/workflows/greeting-test/funnel")
    assert "Version 2, the current one, has no split <code>test</code>" in page
    assert "Promote long" not in page  # older runs only: nothing left to promote
    [split] = (await console.json(SPLITS))["splits"]
    assert split["current"] is False
    assert sum(b["runs"] for b in split["branches"]) == 20


async def test_api_promotion_and_its_refusals(admin_ab: Console) -> None:
    console = admin_ab
    await conversations(console, 4)
    client = console.client

    async def promote(path: str, body: object) -> tuple[int, Any]:
        answer = await client.post(path, json=body, headers=BEARER)
        return answer.status, await answer.json()

    api = "/api/workflows/greeting-test/splits"
    status, body = await promote(f"{api}/hello/promote", {"branch": "long"})
    assert status == 400
    assert body["error"]["reason"] == "step 'hello' is a send_message, not a split"
    status, body = await promote(f"{api}/test/promote", {"branch": "medium"})
    assert status == 400
    assert body["error"]["reason"] == "split 'test' has no branch 'medium' (it has short, long)"
    status, body = await promote(f"{api}/test/promote", {})
    assert status == 400 and body["error"]["field"] == "branch"
    status, _ = await promote("/api/workflows/nobody/splits/test/promote", {"branch": "long"})
    assert status == 404
    assert (await console.json("/api/workflows/nobody/splits", 404))["error"]
    await console.html("/console/workflows/nobody/funnel", 404)
    assert await audit_lines(console.bot.services, audit.WORKFLOW_SPLIT_PROMOTED) == []

    status, body = await promote(f"{api}/test/promote", {"branch": "short"})
    assert status == 200
    assert body == {"workflow": "greeting-test", "step": "test", "branch": "short", "version": 2}
    [line] = await audit_lines(console.bot.services, audit.WORKFLOW_SPLIT_PROMOTED)
    assert line.details == {"step": "test", "branch": "short", "from": 1, "to": 2}


async def test_agents_read_the_results_but_may_not_promote(agent_ab: Console) -> None:
    console = agent_ab
    await conversations(console, 10)
    [split] = (await console.json(SPLITS))["splits"]
    assert sum(b["runs"] for b in split["branches"]) == 10
    page = await console.html("/console/workflows/greeting-test/funnel")
    assert "A/B test: test" in page and "Promote" not in page
    token = form_token(page)

    answer = await console.client.post(
        PROMOTE_PAGE, data={"csrf_token": token, "branch": "long", "confirm": "yes"}
    )
    assert answer.status == 403
    assert "This page is for admins." in await answer.text()
    answer = await console.client.post(
        f"{SPLITS}/test/promote", json={"branch": "long"}, headers={"X-CSRF-Token": token}
    )
    assert answer.status == 403
    assert (await answer.json())["error"] == {"field": "role", "reason": "admins only"}

    assert (await console.json("/api/workflows/greeting-test"))["version"] == 1
    assert await audit_lines(console.bot.services, audit.WORKFLOW_SPLIT_PROMOTED) == []
    assert set(await conversations(console, 10, first=10)) == {SHORT, LONG}


async def test_a_split_before_any_conversation_shows_zeros(admin_ab: Console) -> None:
    console = admin_ab
    page = await console.html("/console/workflows/greeting-test/funnel?period=24h")
    assert "A/B test: test" in page  # the current split, before any conversation
    assert branch_rows(page) == {"short": ["0", "0", "—", "—"], "long": ["0", "0", "—", "—"]}
    found = await console.json(f"{SPLITS}?period=24h")
    assert [b["runs"] for b in found["splits"][0]["branches"]] == [0, 0]
    assert (await console.json(f"{SPLITS}?period=1y", 400))["error"]["field"] == "period"


NO_GOAL = """
name: colours
trigger: {event: conversation.created}
steps:
  - id: pick
    type: split
    branches:
      - {name: red, weight: 3, goto: red}
      - {name: blue, goto: blue}
  - {id: red, type: send_message, text: "Red", next: end}
  - {id: blue, type: send_message, text: "Blue"}
"""


async def test_a_split_without_a_goal_counts_conversations_only(
    console_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    console = await open_console(console_url, clock, tmp_path, "ana@example.com", (NO_GOAL,))
    try:
        replies = await conversations(console, 40)
        [split] = (await console.json("/api/workflows/colours/splits"))["splits"]
        page = await console.html("/console/workflows/colours/funnel")
    finally:
        await console.client.close()
    assert split["goal"] is None
    assert split["goal_text"] == "no goal set: only the conversations each branch got are counted"
    assert [(b["name"], b["runs"]) for b in split["branches"]] == [
        ("red", replies.count("Red")),
        ("blue", replies.count("Blue")),
    ]
    assert split["branches"][0]["runs"] > split["branches"][1]["runs"]  # weighed 3 to 1
    assert all(b["rate"] is None and b["low"] is None for b in split["branches"])
    assert branch_rows(page) == {
        "red": [str(replies.count("Red")), "—", "—", "—"],
        "blue": [str(replies.count("Blue")), "—", "—", "—"],
    }
    assert "Goal: no goal set" in page and "ab-chart-0" not in page
