"""Editing a draft on its graph over the API, on every backend: each edit changes the saved
draft as stated and keeps its comments, is audited like any draft save, a broken result
comes back with its problems, an edit that cannot be made is refused naming the op, the
current version is edited when there is no draft, and agents are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.domain import audit
from tests.integration.console.http_support import (
    BEARER,
    Client,
    csrf,
    make_client,
    services_of,
    sign_in,
)
from tests.integration.console.support import audit_lines
from workflows.loader import load_yaml

GREET = """\
# Says hello; this comment stays through every edit.
name: greet
trigger: {event: conversation.created}
steps:
  - id: hello
    type: send_message
    text: Hi
  - id: topic
    type: ask_question
    question: What about?
    save_to: vars.topic
"""
COMMENT = "# Says hello; this comment stays through every edit."


@pytest.fixture
async def admin(database_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    made = await make_client(database_url, clock)
    try:
        answer = await made.put("/api/workflows/greet/draft", json={"yaml": GREET}, headers=BEARER)
        assert answer.status == 200, await answer.text()
        yield made
    finally:
        await made.close()


async def _edit(client: Client, status: int = 200, name: str = "greet", **body: Any) -> Any:
    answer = await client.post(f"/api/workflows/{name}/draft/edit", json=body, headers=BEARER)
    assert answer.status == status, await answer.text()
    return await answer.json()


async def _saved(client: Client, name: str = "greet") -> str:
    answer = await client.get(f"/api/workflows/{name}/draft", headers=BEARER)
    assert answer.status == 200
    text = (await answer.json())["yaml"]
    assert isinstance(text, str)
    return text


def _steps(text: str) -> dict[str, dict[str, Any]]:
    return {str(step["id"]): step for step in load_yaml(text)["steps"]}


async def test_each_edit_changes_the_saved_draft_and_keeps_its_comments(admin: Client) -> None:
    step = {"type": "send_message", "id": "bye", "text": "Bye"}
    added = await _edit(admin, op="add", step=step, after="topic", exit="timeout")
    assert _steps(added["yaml"])["topic"]["exits"] == {"timeout": "bye"}
    assert added["problems"] == [] and added["chart"] is not None
    assert [s["id"] for s in added["steps"]] == ["hello", "topic", "bye"]
    assert await _saved(admin) == added["yaml"]

    connected = await _edit(admin, op="connect", step_id="topic", outcome="answered", target="end")
    assert _steps(connected["yaml"])["topic"]["exits"] == {"timeout": "bye", "answered": "end"}
    moved = await _edit(admin, op="move", step_id="bye", index=1)
    assert list(_steps(moved["yaml"])) == ["hello", "bye", "topic"]
    assert _steps(moved["yaml"])["hello"]["next"] == "topic"
    assert _steps(moved["yaml"])["bye"]["next"] == "end"
    fields = {"type": "send_message", "text": "Bye now", "next": "end"}
    changed = await _edit(admin, op="set", step_id="bye", fields=fields)
    assert _steps(changed["yaml"])["bye"] == {"id": "bye", **fields}
    removed = await _edit(admin, op="remove", step_id="bye")
    assert _steps(removed["yaml"])["topic"]["exits"] == {"timeout": "end", "answered": "end"}
    for answer in (added, connected, moved, changed, removed):
        assert answer["yaml"].startswith(COMMENT)
    assert await _saved(admin) == removed["yaml"]
    saves = await audit_lines(services_of(admin), audit.WORKFLOW_DRAFT_SAVED)
    assert len(saves) == 6  # the first save and five edits


async def test_a_broken_result_comes_back_with_its_problems(admin: Client) -> None:
    edited = await _edit(admin, op="add", step={"type": "send_message"}, after="hello")
    assert [(p["file"], p["where"]) for p in edited["problems"]] == [
        ("greet.yaml", "step send_message")
    ]
    assert "needs text" in edited["problems"][0]["reason"]
    assert edited["chart"] is None
    assert "send_message" in await _saved(admin)


async def test_an_edit_that_cannot_be_made_is_refused(admin: Client) -> None:
    refused = await _edit(
        admin, 400, op="connect", step_id="topic", outcome="timeout", target="ghost"
    )
    assert refused["error"] == {
        "field": "connect",
        "reason": "no step 'ghost' to connect to (a step id or 'end')",
    }
    missing = await _edit(admin, 400, op="remove")
    assert missing["error"]["field"] == "step_id"
    await _edit(admin, 400, op="move", step_id="ghost", index=0)
    assert await _saved(admin) == GREET
    await _edit(admin, 404, name="nothing", op="remove", step_id="x")


async def test_without_a_draft_the_current_version_is_edited(admin: Client) -> None:
    edited = await _edit(
        admin, name="support", op="connect", step_id="greet", outcome="next", target="handoff"
    )
    assert _steps(edited["yaml"])["greet"]["next"] == "handoff"
    assert edited["yaml"].startswith("# The support flow")
    given = await _edit(admin, op="remove", step_id="topic", yaml=GREET.replace("Hi", "Hello"))
    assert list(_steps(given["yaml"])) == ["hello"]
    assert "Hello" in await _saved(admin)


async def test_step_types_describe_their_fields_and_exits(admin: Client) -> None:
    answer = await admin.get("/api/step-types", headers=BEARER)
    types = {t["name"]: t for t in (await answer.json())["step_types"]}
    assert types["ask_question"]["outcomes"] == [
        "answered",
        "invalid",
        "timeout",
        "delivery_failed",
    ]
    assert "question" in types["ask_question"]["schema"]["required"]
    assert types["send_message"]["summary"].startswith("a templated text")
    body = {"yaml": GREET.replace("What about?", ""), "name": "greet"}
    read = await (await admin.post("/api/workflows/steps", json=body, headers=BEARER)).json()
    assert [(p["where"], p["field"]) for p in read["problems"]] == [("step topic", "question")]
    assert read["steps"][0] == {
        "id": "hello",
        "type": "send_message",
        "fields": {"type": "send_message", "text": "Hi"},
    }


async def test_agents_are_refused(database_url: str, clock: FakeClock) -> None:
    agent = await make_client(database_url, clock)
    try:
        assert await sign_in(agent, "ana@example.com") == 303
        token = {"X-CSRF-Token": await csrf(agent)}
        assert (await agent.get("/api/step-types")).status == 403
        for path in ("/api/workflows/support/draft/edit", "/api/workflows/steps"):
            body = {"op": "remove", "step_id": "greet", "yaml": GREET}
            answer = await agent.post(path, json=body, headers=token)
            assert answer.status == 403, path
    finally:
        await agent.close()
