"""The runs list and a run's page, over HTTP, with runs the engine made: each filter
narrows the list, paging goes back, a failed run shows its error in full and the values
its conditions compared, a waiting run until when; agents may read all of it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape
from pathlib import Path

from bot.core.clock import FakeClock
from tests.integration.console.http_support import BEARER, Client
from tests.integration.console.runs_support import (
    ERROR,
    Console,
    admin_console,
    agent_console,
    console_url,
    open_console,
)

__all__ = ["admin_console", "agent_console", "console_url"]


def run_links(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<a href="/console/runs/(\d+)">', html)]


async def listed(console: Console, query: str = "") -> list[int]:
    """The run ids of the API's answer and of the page for ``query``, which must agree."""
    answer = await console.json(f"/api/runs?{query}")
    ids = [item["id"] for item in answer["items"]]
    assert run_links(await console.html(f"/console/runs?{query}")) == ids
    return ids


async def test_each_filter_narrows_the_list(agent_console: Console) -> None:
    console = agent_console
    done = await console.write("hello")
    console.clock.advance(timedelta(hours=1))
    failed = await console.write("it is broken")
    console.clock.advance(timedelta(hours=1))
    waiting = await console.write("talk later")
    assert await console.write("ignore this") == 0  # the conditions held it back

    assert await listed(console) == [waiting, failed, done]
    assert await listed(console, "workflow=triage") == [waiting, failed, done]
    assert await listed(console, "workflow=vip") == []
    assert await listed(console, "status=finished") == [done]
    assert await listed(console, "status=failed") == [failed]
    assert await listed(console, "status=waiting") == [waiting]
    assert await listed(console, "status=running") == []
    conversation = await console.conversation_of(failed)
    assert await listed(console, f"conversation={conversation}") == [failed]
    assert await listed(console, "since=2026-01-05T10:00") == [waiting, failed]
    assert await listed(console, "until=2026-01-05T10:00") == [done]
    assert await listed(console, "since=2026-01-05T10:00&until=2026-01-05T11:00") == [failed]
    assert await listed(console, "status=failed&since=2026-01-05T10:30") == []

    items = {item["id"]: item for item in (await console.json("/api/runs"))["items"]}
    assert items[done]["status"] == "finished" and items[done]["stored_status"] == "completed"
    assert items[waiting]["current_step"] == "pause" and items[waiting]["finished_at"] is None
    assert items[failed]["error"] == ERROR
    page = await console.html("/console/runs?status=waiting")
    assert 'href="/console/inbox/' in page and "at <code>pause</code>" in page


async def test_bad_filters_are_refused(agent_console: Console) -> None:
    answer = await agent_console.json("/api/runs?status=stuck", 400)
    assert answer["error"]["field"] == "status"
    assert (await agent_console.json("/api/runs?workflow=nobody", 404))["error"]
    assert (await agent_console.json("/api/runs?limit=0", 400))["error"]["field"] == "limit"
    assert (await agent_console.json("/api/runs?since=yesterday", 400))["error"]["field"] == (
        "since"
    )
    await agent_console.html("/console/runs?status=stuck", 400)
    await agent_console.html("/console/runs/999999", 404)
    assert (await agent_console.json("/api/runs/999999", 404))["error"]


async def test_paging_goes_back_to_the_first_run(agent_console: Console) -> None:
    console = agent_console
    made = [await console.write(f"hello {n}") for n in range(53)]
    first = await console.json("/api/runs?limit=20")
    assert [i["id"] for i in first["items"]] == made[::-1][:20]
    second = await console.json(f"/api/runs?limit=20&before={first['next_before']}")
    assert [i["id"] for i in second["items"]] == made[::-1][20:40]
    third = await console.json(f"/api/runs?limit=20&before={second['next_before']}")
    assert [i["id"] for i in third["items"]] == made[::-1][40:]
    assert third["next_before"] is None

    page = await console.html("/console/runs?workflow=triage")
    assert run_links(page) == made[::-1][:50]
    older = re.search(r'<a href="(/console/runs\?[^"]+)">Older runs</a>', page)
    assert older is not None
    rest = await console.html(older.group(1).replace("&amp;", "&"))
    assert run_links(rest) == made[::-1][50:]
    assert "Older runs" not in rest


async def test_a_failed_run_shows_its_error_and_the_values_compared(
    agent_console: Console,
) -> None:
    console = agent_console
    failed = await console.write("it is broken")
    page = await console.html(f"/console/runs/{failed}")
    assert f'<pre class="run-error">{escape(ERROR)}</pre>' in page
    assert f'<pre class="run-error">run failed: {escape(ERROR)}</pre>' in page
    assert "Started by <code>message.received</code>" in page
    # the branch's case: message.text (left) contains 'broken' (right): true
    assert (
        '<td data-label="Value (left)"><code>it is broken</code></td>'
        '<td data-label="Operator"><code>contains</code></td>'
        '<td data-label="Compared with (right)"><code>broken</code></td>'
        '<td data-label="Result">true</td>'
    ) in page
    # the other workflow this message did not start, with its values
    assert "<strong>vip</strong>: not started on message.received" in page
    assert '<code>invoice</code></td><td data-label="Result">false</td>' in page

    detail = await console.json(f"/api/runs/{failed}")
    assert detail["status"] == "failed" and detail["error"] == ERROR
    assert detail["trigger"]["event"] == "message.received"
    kinds = [line["kind"] for line in detail["lines"]]
    assert kinds[:2] == ["trigger", "condition"] and kinds[-1] == "error"
    steps = [line["step_id"] for line in detail["lines"] if line["kind"] == "step"]
    assert steps == ["hello", "route", "broken"]
    (case,) = [line for line in detail["lines"] if line["message"] == "case 1: true"]
    assert case["data"]["checks"] == [
        {
            "field": "message.text",
            "op": "contains",
            "expected": "broken",
            "actual": "it is broken",
            "result": True,
        }
    ]
    (skip,) = detail["skipped"]
    assert skip["workflow"] == "vip" and skip["data"]["checks"][0]["result"] is False


async def test_a_waiting_run_shows_until_when(agent_console: Console) -> None:
    console = agent_console
    waiting = await console.write("talk later")
    console.clock.advance(timedelta(hours=3))
    page = await console.html(f"/console/runs/{waiting}")
    assert (
        'waits until <time datetime="2026-01-12T09:00:00+00:00">2026-01-12 09:00:00 UTC</time>'
        in page
    )
    assert "waiting since 2026-01-05 09:00:00" in page
    assert '<span class="run-status run-waiting">waiting</span>' in page
    detail = await console.json(f"/api/runs/{waiting}")
    (pause,) = [line for line in detail["lines"] if line["step_id"] == "pause"]
    assert pause["data"]["until"] == "2026-01-12T09:00:00+00:00"
    assert pause["waiting_since"] == "2026-01-05T09:00:00+00:00"

    console.clock.advance(timedelta(days=7))  # the session has ended by then: the token
    await console.bot.settle()
    detail = await console.json(f"/api/runs/{waiting}", **BEARER)
    assert detail["status"] == "finished"
    pause, *resumed = [line for line in detail["lines"] if line["step_id"] == "pause"]
    # the visit lasted until the timer was handled: at 7 days 3 hours (the clock jumped)
    assert pause["took_s"] == (7 * 24 + 3) * 3600 and resumed


async def test_an_admin_reads_runs_too(admin_console: Console) -> None:
    run = await admin_console.write("hello")
    assert (await admin_console.json(f"/api/runs/{run}"))["id"] == run
    assert run_links(await admin_console.html("/console/runs")) == [run]
    assert f"<h1>Run {run}</h1>" in await admin_console.html(f"/console/runs/{run}")


async def test_the_signed_out_may_not_read_runs(agent_console: Console) -> None:
    run = await agent_console.write("hello")
    client: Client = agent_console.client
    client.session.cookie_jar.clear()
    for path in ("/api/runs", f"/api/runs/{run}", "/api/workflows/triage/funnel"):
        assert (await client.get(path)).status == 401, path
    for path in ("/console/runs", f"/console/runs/{run}", "/console/workflows/triage/funnel"):
        answer = await client.get(path, allow_redirects=False)
        assert answer.status == 303 and "/console/sign-in" in answer.headers["Location"]


PARENT = """
name: parent
trigger: {event: conversation.created}
steps:
  - {id: kick, type: trigger_workflow, workflow: child}
"""
CHILD = """
name: child
trigger: {event: tag.added}
steps:
  - {id: note, type: set_variable, name: seen, value: "yes"}
"""


async def test_a_run_started_by_another_links_to_it(
    console_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    console = await open_console(console_url, clock, tmp_path, "ana@example.com", (PARENT, CHILD))
    try:
        await console.bot.say("hi")
        parent, child = await console.bot.runs()
        page = await console.html(f"/console/runs/{child.id}")
        detail = await console.json(f"/api/runs/{child.id}")
    finally:
        await console.client.close()
    assert "Started by <code>trigger_workflow</code>" in page
    assert f' from <a href="/console/runs/{parent.id}">run {parent.id}</a>' in page
    assert detail["trigger"]["event"] == "trigger_workflow" and detail["skipped"] == []
