"""The workflow pages over HTTP on every backend: the list's runs in 24 h and last error
(from a run that really failed), one workflow's chart and YAML, the diff of two versions,
a roll-back from the console, the API and the CLI (audited; new runs start on the old
version, a run in flight finishes on its own), re-imports after a roll-back, agents
refused every change, and ``relaybot workflows versions|diff|rollback``."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.cli import build_parser
from bot.app.engine_component import build_runner
from bot.app.workflow_cli import _diff, _rollback, _versions
from bot.core.clock import FakeClock
from bot.domain import audit
from bot.domain.audit import CLI
from bot.domain.workflow_store import import_files
from bot.domain.workflow_versions import roll_back, workflow_detail
from bot.storage.models import Workflow, WorkflowRun, WorkflowVersion
from channels.testing import RecordingChannel
from tests.harness import Harness
from tests.integration.console.http_support import (
    BEARER,
    Client,
    csrf,
    form_token,
    make_client,
    services_of,
    sign_in,
)
from tests.integration.console.support import audit_lines

FIRST = """\
name: greeter
description: Says hello
trigger: {event: conversation.created}
steps:
  - {id: hello, type: send_message, text: "hello from v1"}
"""
SECOND = """\
name: greeter
description: Says hello
trigger: {event: conversation.created}
steps:
  - {id: ask, type: ask_question, question: "Your name?", save_to: vars.name,
     exits: {invalid: thanks}}
  - {id: thanks, type: send_message, text: "thanks from v2"}
"""
THIRD = FIRST.replace("hello from v1", "hello from v3")
SPIN = """\
name: spin
trigger: {event: conversation.created}
steps:
  - {id: a, type: set_variable, name: x, value: "1"}
  - {id: b, type: jump_to, target: a, max_jumps: 100}
"""


@pytest.fixture
async def app_client(database_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    made = await make_client(database_url, clock)
    try:
        yield made
    finally:
        await made.close()


async def engine(client: Client) -> Harness:
    """The workflow engine on the app's services, a customer on a recording channel."""
    services = services_of(client)
    channel = RecordingChannel("test")
    services.add_channel(channel)
    runner = build_runner(services)
    await runner.catalog.refresh()
    services.events.interest.seal()
    return Harness(services, channel, runner)


async def put(client: Client, folder: Path, text: str, file: str = "greeter.yaml") -> str:
    """Write ``text`` to a file and import it; the import's action."""
    path = folder / file
    path.write_text(text)
    (result,) = await import_files(services_of(client).uow, [path])
    return result.action


async def version_ids(client: Client, name: str) -> dict[int, int]:
    async with services_of(client).db.session() as session:
        rows = await session.execute(
            select(WorkflowVersion.version, WorkflowVersion.id)
            .join(Workflow, Workflow.id == WorkflowVersion.workflow_id)
            .where(Workflow.name == name)
        )
        return dict(rows.all())


async def runs_of(client: Client, name: str) -> list[WorkflowRun]:
    async with services_of(client).db.session() as session:
        return list(
            await session.scalars(
                select(WorkflowRun)
                .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
                .where(Workflow.name == name)
                .order_by(WorkflowRun.id)
            )
        )


def embedded_chart(html: str) -> dict[str, list[dict[str, object]]]:
    found = re.search(r'<script type="application/json" id="workflow-chart">(.*?)</script>', html)
    assert found, "no chart in the page"
    chart: dict[str, list[dict[str, object]]] = json.loads(found.group(1))
    return chart


async def test_the_list_shows_runs_in_24_hours_and_the_last_error(
    app_client: Client, clock: FakeClock, tmp_path: Path
) -> None:
    await put(app_client, tmp_path, SPIN, "spin.yaml")
    bot = await engine(app_client)
    await bot.say("hi", chat="old")
    clock.advance(timedelta(hours=25))
    await bot.say("hi", chat="new")
    (older, failed) = await runs_of(app_client, "spin")
    assert failed.status == "failed" and failed.error

    api = await (await app_client.get("/api/workflows", headers=BEARER)).json()
    spin = next(w for w in api["items"] if w["name"] == "spin")
    assert spin["runs"] == 2 and spin["runs_24h"] == 1  # the older run is 25 h old
    assert spin["last_error"]["run_id"] == failed.id
    assert spin["last_error"]["message"] == failed.error
    assert spin["last_error"]["at"] == clock.now().isoformat()
    refund = next(w for w in api["items"] if w["name"] == "refund")
    assert (refund["runs_24h"], refund["last_error"]) == (0, None)

    assert await sign_in(app_client, "ana@example.com") == 303  # agents read the list too
    html = await (await app_client.get("/console/workflows")).text()
    assert "<th>Runs (24 h)</th><th>Last error</th>" in html
    row = html[html.index('href="/console/workflows/spin"') :].split("</tr>")[0]
    assert '<td data-label="Runs (24 h)">1</td>' in row
    assert f'<a href="/console/runs/{failed.id}">' in row
    assert unescape(failed.error)[:40] in unescape(row)
    assert older.id != failed.id


async def test_the_workflow_page_has_the_chart_the_yaml_and_the_versions(
    app_client: Client, clock: FakeClock, tmp_path: Path
) -> None:
    assert await put(app_client, tmp_path, FIRST) == "created"
    clock.advance(timedelta(minutes=5))
    assert await put(app_client, tmp_path, SECOND) == "updated"
    assert await sign_in(app_client, "ana@example.com") == 303
    html = await (await app_client.get("/console/workflows/greeter")).text()
    chart = embedded_chart(html)
    assert [n["key"] for n in chart["nodes"]] == ["trigger", "s0", "s1", "done"]
    assert {"source": "s0", "target": "s1", "label": "invalid", "dashed": False} in chart["edges"]
    assert '<div id="workflow-graph"' in html and 'src="/console/static/workflow.js"' in html
    assert '<ol class="workflow-steps">' in html and "invalid → thanks: " in unescape(html)
    code = re.search(r'<pre class="yaml" tabindex="0"><code>(.*?)</code></pre>', html, re.S)
    assert code and unescape(code.group(1)) == SECOND
    assert "v2</a></td>" in html and "v1</a></td>" in html and "Current</strong>" in html
    assert "Roll back to this version" not in html and "only admins roll back" in html

    api = await (await app_client.get("/api/workflows/greeter")).json()
    assert api["version"] == 2 and api["yaml"] == SECOND and api["chart"] == chart
    assert [(v["version"], v["current"], v["runs"]) for v in api["versions"]] == [
        (2, True, 0),
        (1, False, 0),
    ]
    assert len(api["versions"][0]["checksum"]) == 64
    one = await (await app_client.get("/api/workflows/greeter/versions/1")).json()
    assert one["yaml"] == FIRST and [n["key"] for n in one["chart"]["nodes"]] == [
        "trigger",
        "s0",
        "done",
    ]
    assert (await app_client.get("/api/workflows/greeter/versions/9")).status == 404
    assert (await app_client.get("/api/workflows/nobody")).status == 404
    assert (await app_client.get("/console/workflows/nobody")).status == 404


async def test_an_old_version_has_its_own_view_and_admins_toggle_from_the_page(
    app_client: Client, tmp_path: Path
) -> None:
    await put(app_client, tmp_path, FIRST)
    await put(app_client, tmp_path, SECOND)
    assert await sign_in(app_client, "adam@example.com") == 303
    page = await (await app_client.get("/console/workflows/greeter")).text()
    assert '<a href="/console/workflows/greeter?version=1">v1</a>' in page
    old = await (await app_client.get("/console/workflows/greeter?version=1")).text()
    code = re.search(r'<pre class="yaml" tabindex="0"><code>(.*?)</code></pre>', old, re.S)
    assert code and unescape(code.group(1)) == FIRST
    assert [n["key"] for n in embedded_chart(old)["nodes"]] == ["trigger", "s0", "done"]
    assert "v2 is current." in old
    assert 'href="/console/workflows/greeter/diff?from=1&amp;to=2"' in old
    assert (await app_client.get("/console/workflows/greeter?version=7")).status == 404
    assert (await app_client.get("/console/workflows/greeter?version=x")).status == 400

    answer = await app_client.post(
        "/console/workflows/greeter/disable",
        data={"csrf_token": form_token(page), "back": "workflow"},
        allow_redirects=False,
    )
    assert answer.headers["Location"] == "/console/workflows/greeter?done=disabled"
    after = await (await app_client.get(answer.headers["Location"])).text()
    assert "greeter disabled." in after and "Enable<span" in after
    (line,) = await audit_lines(services_of(app_client), audit.WORKFLOW_DISABLED)
    assert (line.target, line.details) == ("greeter", {"changed": True})


async def test_a_diff_of_two_versions_shows_the_changed_lines(
    app_client: Client, clock: FakeClock, tmp_path: Path
) -> None:
    await put(app_client, tmp_path, FIRST)
    await put(app_client, tmp_path, SECOND)
    assert await sign_in(app_client, "ana@example.com") == 303
    api = await app_client.get("/api/workflows/greeter/diff", params={"from": "1", "to": "2"})
    body = await api.json()
    assert body["text"].startswith("--- greeter v1\n+++ greeter v2\n@@ ")
    removed = [x for x in body["lines"] if x["kind"] == "removed"]
    added = [x for x in body["lines"] if x["kind"] == "added"]
    assert [x["text"] for x in removed] == [
        '  - {id: hello, type: send_message, text: "hello from v1"}'
    ]
    assert removed[0]["old"] == 5 and removed[0]["new"] is None
    assert [x["new"] for x in added] == [5, 6, 7]
    bad = await app_client.get("/api/workflows/greeter/diff", params={"from": "1", "to": "x"})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "to"
    missing = await app_client.get("/api/workflows/greeter/diff", params={"from": "1", "to": "7"})
    assert missing.status == 404

    html = await (await app_client.get("/console/workflows/greeter/diff?from=1&to=2")).text()
    assert "3 lines added, 1 removed." in html
    line = html[html.index('<tr class="diff-removed">') :].split("</tr>")[0]
    assert '<span aria-hidden="true">-</span><span class="visually-hidden">removed</span>' in line
    assert "hello from v1" in unescape(line)
    assert html.count('<tr class="diff-added">') == 3
    assert '<option value="1" selected>v1</option>' in html
    same = await (await app_client.get("/console/workflows/greeter/diff?from=2&to=2")).text()
    assert "The two versions are the same." in same
    default = await (await app_client.get("/console/workflows/greeter/diff")).text()
    assert "3 lines added, 1 removed." in default


async def test_a_roll_back_makes_the_old_version_current_for_new_runs_only(
    app_client: Client, clock: FakeClock, tmp_path: Path
) -> None:
    await put(app_client, tmp_path, FIRST)
    clock.advance(timedelta(minutes=1))
    await put(app_client, tmp_path, SECOND)
    ids = await version_ids(app_client, "greeter")
    bot = await engine(app_client)
    await bot.say("hi", chat="before")  # starts on v2 and waits for the answer
    assert bot.replies("before") == ["Your name?"]

    clock.advance(timedelta(minutes=1))
    assert await sign_in(app_client, "adam@example.com") == 303
    page = await (await app_client.get("/console/workflows/greeter")).text()
    assert "Roll back to this version<span" in page
    answer = await app_client.post(
        "/console/workflows/greeter/rollback",
        data={"csrf_token": form_token(page), "version": "1"},
        allow_redirects=False,
    )
    assert answer.status == 303
    assert answer.headers["Location"] == "/console/workflows/greeter?rolled_back=1"
    after = await (await app_client.get(answer.headers["Location"])).text()
    assert "v1 is current now" in after and "Make this version current<span" in after
    (line,) = await audit_lines(services_of(app_client), audit.WORKFLOW_ROLLED_BACK)
    assert (line.actor, line.source, line.target, line.details) == (
        "adam@example.com",
        "console",
        "greeter",
        {"from": 2, "to": 1},
    )

    await bot.say("hi", chat="after")  # a new conversation runs on v1
    assert bot.replies("after")[:1] == ["hello from v1"]
    assert "Your name?" not in bot.replies("after")
    await bot.say("Ada", chat="before")  # the run in flight finishes on v2
    assert bot.replies("before") == ["Your name?", "thanks from v2"]
    runs = {r.conversation_id: r for r in await runs_of(app_client, "greeter")}
    assert sorted((r.version_id, r.status) for r in runs.values()) == [
        (ids[1], "completed"),
        (ids[2], "completed"),
    ]
    detail = await workflow_detail(services_of(app_client).uow, "greeter")
    assert [(v.number, v.current, v.runs) for v in detail.versions] == [
        (2, False, 1),
        (1, True, 1),
    ]


async def test_roll_back_through_the_api_and_the_rules_of_re_import(
    app_client: Client, clock: FakeClock, tmp_path: Path
) -> None:
    await put(app_client, tmp_path, FIRST)
    await put(app_client, tmp_path, SECOND)
    clock.advance(timedelta(minutes=1))
    answer = await app_client.post(
        "/api/workflows/greeter/rollback", json={"version": 1}, headers=BEARER
    )
    assert await answer.json() == {"name": "greeter", "from": 2, "to": 1}
    again = await app_client.post(
        "/api/workflows/greeter/rollback", json={"version": 1}, headers=BEARER
    )
    assert again.status == 400 and (await again.json())["error"]["field"] == "version"
    for body, path in (
        ({"version": 5}, "greeter"),
        ({"version": 1}, "nobody"),
    ):
        missing = await app_client.post(
            f"/api/workflows/{path}/rollback", json=body, headers=BEARER
        )
        assert missing.status == 404
    wrong = await app_client.post(
        "/api/workflows/greeter/rollback", json={"version": "one"}, headers=BEARER
    )
    assert wrong.status == 400
    lines = await audit_lines(services_of(app_client), audit.WORKFLOW_ROLLED_BACK)
    assert [(x.actor, x.source, x.details) for x in lines] == [
        ("api-token", "api", {"from": 2, "to": 1})
    ]

    assert await put(app_client, tmp_path, FIRST) == "unchanged"  # the current one: no version
    assert sorted(await version_ids(app_client, "greeter")) == [1, 2]
    assert await put(app_client, tmp_path, THIRD) == "updated"  # a change: a new highest one
    detail = await workflow_detail(services_of(app_client).uow, "greeter")
    assert [(v.number, v.current) for v in detail.versions] == [(3, True), (2, False), (1, False)]
    assert detail.current.yaml == THIRD

    clock.advance(timedelta(minutes=1))
    done = await roll_back(services_of(app_client).uow, "greeter", 2, CLI)
    assert (done.old, done.new) == (3, 2)
    assert await put(app_client, tmp_path, SECOND) == "unchanged"
    assert await put(app_client, tmp_path, FIRST) == "updated"  # an old text, a new version 4
    detail = await workflow_detail(services_of(app_client).uow, "greeter")
    assert (detail.versions[0].number, detail.versions[0].current) == (4, True)
    async with services_of(app_client).db.session() as session:
        trigger = await session.scalar(
            select(Workflow.trigger_event).where(Workflow.name == "greeter")
        )
    assert trigger == "conversation.created"


async def test_agents_may_not_roll_back(
    app_client: Client, clock: FakeClock, tmp_path: Path
) -> None:
    await put(app_client, tmp_path, FIRST)
    await put(app_client, tmp_path, SECOND)
    assert await sign_in(app_client, "ana@example.com") == 303
    page = await (await app_client.get("/console/workflows/greeter")).text()
    answer = await app_client.post(
        "/console/workflows/greeter/rollback",
        data={"csrf_token": form_token(page), "version": "1"},
    )
    assert answer.status == 403 and "This page is for admins." in await answer.text()
    api = await app_client.post(
        "/api/workflows/greeter/rollback",
        json={"version": 1},
        headers={"X-CSRF-Token": await csrf(app_client)},
    )
    assert api.status == 403
    assert await api.json() == {"error": {"field": "role", "reason": "admins only"}}
    detail = await workflow_detail(services_of(app_client).uow, "greeter")
    assert detail.current.info.number == 2
    assert await audit_lines(services_of(app_client), audit.WORKFLOW_ROLLED_BACK) == []


async def test_the_openapi_document_names_the_workflow_routes(app_client: Client) -> None:
    document = await (await app_client.get("/api/openapi.json")).json()
    assert {
        "/api/workflows/{name}",
        "/api/workflows/{name}/versions/{version}",
        "/api/workflows/{name}/diff",
        "/api/workflows/{name}/rollback",
    } <= set(document["paths"])
    assert (
        "runs_24h"
        in document["components"]["schemas"]["Workflows"]["properties"]["items"]["items"][
            "properties"
        ]
    )


async def cli(client: Client, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    args = build_parser().parse_args(["workflows", *argv])
    command = {"versions": _versions, "diff": _diff, "rollback": _rollback}[argv[0]]
    code = await command(args, services_of(client))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def test_the_cli_lists_versions_compares_and_rolls_back(
    app_client: Client, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await put(app_client, tmp_path, FIRST)
    clock.advance(timedelta(minutes=1))
    await put(app_client, tmp_path, SECOND)
    code, out = await cli(app_client, capsys, "versions", "greeter")
    assert code == 0
    newest, oldest = out.splitlines()
    assert newest.startswith("v2    2026-01-05 09:01  ") and newest.endswith("0 runs  current")
    assert oldest.startswith("v1    2026-01-05 09:00  ") and oldest.endswith("0 runs")

    code, out = await cli(app_client, capsys, "diff", "greeter", "1", "2")
    assert code == 0 and out.startswith("--- greeter v1\n+++ greeter v2\n")
    assert '-  - {id: hello, type: send_message, text: "hello from v1"}\n' in out
    assert (await cli(app_client, capsys, "diff", "greeter", "2", "2"))[1] == (
        "v2 and v2 are the same\n"
    )
    assert await cli(app_client, capsys, "diff", "greeter", "1", "5") == (1, "no version 5\n")

    clock.advance(timedelta(minutes=1))
    assert await cli(app_client, capsys, "rollback", "greeter", "1") == (
        0,
        "greeter: v1 is current (was v2); new runs start on it\n",
    )
    assert await cli(app_client, capsys, "rollback", "greeter", "1") == (
        1,
        "version: version 1 is already current\n",
    )
    assert await cli(app_client, capsys, "rollback", "nobody", "1") == (
        1,
        "no workflow named 'nobody'\n",
    )
    (line,) = await audit_lines(services_of(app_client), audit.WORKFLOW_ROLLED_BACK)
    assert (line.actor, line.source, line.details) == ("cli", "cli", {"from": 2, "to": 1})
