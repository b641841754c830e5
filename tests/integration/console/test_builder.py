"""The workflow builder over HTTP, with runs the engine made: a draft with a problem is
saved and shown but not published; fixed, it becomes the current version with its text as
written (comments too) and audit lines; a draft never runs; publishing with ``move`` moves
a waiting run whose step still exists and leaves one whose step is gone; agents are
refused every builder page and route."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.domain import audit
from bot.storage.models import WorkflowRun
from tests.integration.console.http_support import BEARER, form_token
from tests.integration.console.runs_support import Console, console_url, open_console

__all__ = ["console_url"]

ASK = """\
# Asks a name or an e-mail address, by what the customer wrote.
name: ask
trigger: {event: message.received}
steps:
  - id: route
    type: branch
    cases:
      - when: {all: [{field: message.text, op: contains, value: mail}]}
        goto: ask_email
    else: ask_name
  - id: ask_name
    type: ask_question
    question: "Your name?"
    save_to: vars.name
    exits: {answered: thanks}
  - id: ask_email
    type: ask_question
    question: "Your e-mail?"
    save_to: vars.email
  - {id: thanks, type: send_message, text: "Thanks {{ vars.name }}"}
"""
# v2: no e-mail question any more, and a different thank-you (comments kept as written)
ASK_V2 = """\
# Asks a name only.  (v2)
name: ask
trigger: {event: message.received}
steps:
  - id: ask_name
    type: ask_question
    question: "Your name?"
    save_to: vars.name
  # a warmer thank-you
  - {id: thanks, type: send_message, text: "Thank you, {{ vars.name }}!"}
"""
BROKEN = ASK_V2.replace("type: send_message", "type: send_mesage")


@pytest.fixture
async def admin(console_url: str, clock: FakeClock, tmp_path: Path) -> Any:
    console = await open_console(console_url, clock, tmp_path, "adam@example.com", (ASK,))
    try:
        yield console
    finally:
        await console.client.close()


async def _api(console: Console, method: str, path: str, status: int = 200, **body: Any) -> Any:
    answer = await console.client.request(method, path, json=body or None, headers=BEARER)
    assert answer.status == status, await answer.text()
    return await answer.json()


async def _form(console: Console, page: str, action: str, **fields: str) -> Any:
    token = form_token(await console.html(page))
    return await console.client.post(
        action, data={"csrf_token": token, **fields}, allow_redirects=False
    )


async def _runs(console: Console) -> dict[int, tuple[int, str]]:
    async with console.bot.services.db.session() as session:
        rows = await session.execute(
            select(WorkflowRun.id, WorkflowRun.version_id, WorkflowRun.status)
        )
        return {run_id: (version_id, status) for run_id, version_id, status in rows.all()}


async def test_a_draft_with_a_problem_is_saved_but_not_published(admin: Console) -> None:
    saved = await _api(admin, "PUT", "/api/workflows/ask/draft", yaml=BROKEN)
    assert [(p["where"], p["field"]) for p in saved["problems"]] == [("step thanks", "type")]
    assert saved["base_version"] == 1 and saved["yaml"] == BROKEN

    page = await admin.html("/console/workflows/ask/edit")
    assert "1 problem" in page and "send_mesage" in unescape(page)
    refused = await _api(admin, "POST", "/api/workflows/ask/publish", 400, in_flight="finish")
    assert refused["error"]["field"] == "yaml"
    assert refused["problems"][0]["where"] == "step thanks"
    answer = await _form(
        admin, "/console/workflows/ask/edit", "/console/workflows/ask/publish", in_flight="finish"
    )
    assert answer.status == 400
    assert "Not published" in await answer.text()
    assert (await _api(admin, "GET", "/api/workflows/ask"))["version"] == 1

    checked = await _api(admin, "POST", "/api/workflows/validate", yaml=BROKEN, name="ask")
    assert checked["problems"] == saved["problems"] and checked["chart"] is None
    checked = await _api(admin, "POST", "/api/workflows/validate", yaml=ASK_V2, name="other")
    assert [p["field"] for p in checked["problems"]] == ["name"]
    assert checked["chart"]["nodes"]


async def test_publish_keeps_the_text_as_written_and_is_audited(admin: Console) -> None:
    answer = await _form(
        admin, "/console/workflows/ask/edit", "/console/workflows/ask/edit", yaml=ASK_V2
    )
    assert answer.status == 303
    assert answer.headers["Location"] == "/console/workflows/ask/edit?saved=1"
    assert "Draft saved" in await admin.html(answer.headers["Location"])
    answer = await _form(
        admin, "/console/workflows/ask/edit", "/console/workflows/ask/publish", in_flight="finish"
    )
    assert answer.status == 303
    assert "published=2" in answer.headers["Location"]

    detail = await _api(admin, "GET", "/api/workflows/ask")
    assert detail["version"] == 2
    assert detail["yaml"] == ASK_V2  # comments and key order as written
    assert "# a warmer thank-you" in detail["yaml"]
    await _api(admin, "GET", "/api/workflows/ask/draft", 404)  # the draft is gone

    lines = (await _api(admin, "GET", "/api/audit?target=ask"))["items"]
    actions = [(line["action"], line["actor"]) for line in lines]
    assert (audit.WORKFLOW_DRAFT_SAVED, "adam@example.com") in actions
    (published,) = [line for line in lines if line["action"] == audit.WORKFLOW_PUBLISHED]
    assert published["details"] == {
        "version": 2,
        "from": 1,
        "in_flight": "finish",
        "moved": 0,
        "stayed": 0,
    }


async def test_the_workflow_page_links_admins_to_the_editor(admin: Console) -> None:
    assert 'href="/console/workflows/ask/edit">Edit</a>' in await admin.html(
        "/console/workflows/ask"
    )
    assert 'href="/console/workflows/new">New workflow</a>' in await admin.html(
        "/console/workflows"
    )


async def test_a_draft_never_runs(admin: Console) -> None:
    await _api(admin, "PUT", "/api/workflows/ask/draft", yaml=ASK_V2)
    await admin.bot.say("hello", chat="one")
    await admin.bot.say("Ada", chat="one")
    assert admin.bot.replies("one") == ["Your name?", "Thanks Ada"]

    await _api(admin, "POST", "/api/workflows/ask/publish", in_flight="finish")
    await admin.bot.say("hello", chat="two")
    await admin.bot.say("Bo", chat="two")
    assert admin.bot.replies("two") == ["Your name?", "Thank you, Bo!"]

    # a draft of a workflow never published does not run either
    new = ASK_V2.replace("name: ask", "name: fresh").replace("Your name?", "Fresh?")
    await _api(admin, "PUT", "/api/workflows/fresh/draft", yaml=new)
    await admin.bot.say("hello", chat="three")
    assert "Fresh?" not in admin.bot.replies("three")
    await _api(admin, "GET", "/api/workflows/fresh", 404)


async def test_move_takes_waiting_runs_whose_step_still_exists(admin: Console) -> None:
    await admin.bot.say("hello", chat="name")
    await admin.bot.say("my mail, please", chat="mail")
    before = await _runs(admin)
    assert sorted(status for _, status in before.values()) == ["waiting", "waiting"]
    (v1,) = {version for version, _ in before.values()}

    await _api(admin, "PUT", "/api/workflows/ask/draft", yaml=ASK_V2)
    done = await _api(admin, "POST", "/api/workflows/ask/publish", in_flight="move")
    assert (done["version"], done["moved"], done["stayed"]) == (2, 1, 1)

    after = await _runs(admin)
    name_run, mail_run = sorted(before)
    assert after[name_run][0] != v1  # moved: its step ask_name is in v2
    assert after[mail_run][0] == v1  # stayed: ask_email is gone
    await admin.bot.say("Ada", chat="name")
    assert admin.bot.replies("name") == ["Your name?", "Thank you, Ada!"]
    await admin.bot.say("ada@example.com", chat="mail")
    assert admin.bot.replies("mail")[0] == "Your e-mail?"

    lines = (await _api(admin, "GET", "/api/audit?action=workflow.published"))["items"]
    assert lines[0]["details"]["in_flight"] == "move"
    assert (lines[0]["details"]["moved"], lines[0]["details"]["stayed"]) == (1, 1)


async def test_a_new_workflow_from_a_trigger_or_an_example(admin: Console) -> None:
    answer = await _form(
        admin,
        "/console/workflows/new",
        "/console/workflows/new",
        start="trigger",
        name="greeter",
        trigger="conversation.created",
    )
    assert answer.status == 303 and answer.headers["Location"] == "/console/workflows/greeter/edit"
    draft = await _api(admin, "GET", "/api/workflows/greeter/draft")
    assert draft["problems"] == [] and "event: conversation.created" in draft["yaml"]
    assert draft["yaml"].startswith("# A new workflow started by conversation.created")

    answer = await _form(
        admin,
        "/console/workflows/new",
        "/console/workflows/new",
        start="example",
        name="my-orders",
        example="order-status",
    )
    assert answer.status == 303
    draft = await _api(admin, "GET", "/api/workflows/my-orders/draft")
    assert draft["problems"] == []
    assert draft["yaml"].startswith("# Order status: a customer asks where their order is.")
    assert "\nname: my-orders\n" in draft["yaml"]

    taken = await _form(
        admin, "/console/workflows/new", "/console/workflows/new", start="trigger", name="ask"
    )
    assert taken.status == 400 and "exists already" in await taken.text()

    await _api(admin, "DELETE", "/api/workflows/greeter/draft")
    await _api(admin, "GET", "/api/workflows/greeter/draft", 404)
    await admin.html("/console/workflows/greeter/edit", 404)


async def test_the_editor_replays_the_draft_against_runs(admin: Console) -> None:
    await admin.bot.say("hello", chat="one")
    await admin.bot.say("Ada", chat="one")
    await _api(admin, "PUT", "/api/workflows/ask/draft", yaml=ASK_V2)
    page = await admin.html("/console/workflows/ask/edit?replay=10")
    assert "1 run replayed." in page
    runs = [int(found) for found in re.findall(r'href="/console/runs/(\d+)"', page)]
    assert runs == sorted(await _runs(admin))


ROUTES = [
    ("GET", "/api/workflows/ask/draft"),
    ("PUT", "/api/workflows/ask/draft"),
    ("DELETE", "/api/workflows/ask/draft"),
    ("POST", "/api/workflows/ask/publish"),
    ("POST", "/api/workflows/validate"),
]


async def test_agents_are_refused_every_builder_page_and_route(
    console_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    agent = await open_console(console_url, clock, tmp_path, "ana@example.com", (ASK,))
    try:
        token = (await agent.json("/api/me"))["csrf_token"]
        for method, path in ROUTES:
            answer = await agent.client.request(
                method, path, json={"yaml": ASK_V2}, headers={"X-CSRF-Token": token}
            )
            assert answer.status == 403, (method, path)
        for path in ("/console/workflows/new", "/console/workflows/ask/edit"):
            assert "This page is for admins." in await agent.html(path, 403)
        assert "/console/workflows/ask/edit" not in await agent.html("/console/workflows/ask")
        assert "/console/workflows/new" not in await agent.html("/console/workflows")
        for path in (
            "/console/workflows/new",
            "/console/workflows/ask/edit",
            "/console/workflows/ask/edit/discard",
            "/console/workflows/ask/publish",
        ):
            token_form = {"csrf_token": token, "yaml": ASK_V2, "name": "x"}
            answer = await agent.client.post(path, data=token_form, allow_redirects=False)
            assert answer.status == 403, path
    finally:
        await agent.client.close()
