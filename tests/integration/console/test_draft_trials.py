"""Trying drafts through the API. The preview chat: a draft answers turn by turn from the
session it hands back, an action answers from the examples set, a wait can be skipped, a
bad draft is named by file, step and field, agents are refused, and no row reaches the
database. Replay: the draft must name the workflow it is replayed against."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.storage.models import Conversation, Message, OutboxItem, Timer, WorkflowRun
from tests.integration.console.http_support import (
    BEARER,
    EXAMPLES,
    Client,
    agent_client,
    client,
    csrf,
    services_of,
)

__all__ = ["agent_client", "client"]

ORDER_STATUS = (EXAMPLES / "order-status.yaml").read_text()
NOT_FOUND = {"shopify.order_lookup": {"outcome": "declined", "reason": "no such order"}}


async def _rows(client: Client) -> tuple[int, ...]:
    async with services_of(client).db.session() as session:
        return tuple(
            [
                int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (OutboxItem, Timer, WorkflowRun, Message, Conversation)
            ]
        )


async def _turn(client: Client, **body: Any) -> dict[str, Any]:
    answer = await client.post("/api/workflows/preview", json=body, headers=BEARER)
    assert answer.status == 200, await answer.text()
    result: dict[str, Any] = await answer.json()
    return result


def _bot(turn: dict[str, Any]) -> list[str]:
    return [line["text"] for line in turn["lines"] if line["kind"] == "bot"]


async def test_a_conversation_with_a_draft_leaves_nothing_behind(client: Client) -> None:
    before = await _rows(client)
    turn = await _turn(client, yaml=ORDER_STATUS, say="where is my order", examples=NOT_FOUND)
    assert _bot(turn) == [
        "I can check that for you. Which e-mail address did you use for the order?"
    ]
    assert turn["can_answer"] and turn["can_skip"]
    turn = await _turn(
        client,
        yaml=ORDER_STATUS,
        session=turn["session"],
        say="ada@example.com",
        examples=NOT_FOUND,
    )
    turn = await _turn(
        client, yaml=ORDER_STATUS, session=turn["session"], say="#1002", examples=NOT_FOUND
    )
    assert _bot(turn)[0].startswith("I couldn't find order #1002 for ada@example.com.")
    assert "shopify.order_lookup: declined (example)" in [
        line["text"] for line in turn["lines"] if line["kind"] == "note"
    ]
    turn = await _turn(client, yaml=ORDER_STATUS, session=turn["session"], skip=True)
    assert _bot(turn) == ["No problem, just write again whenever you have the order details."]
    assert turn["status"] == "completed"
    assert await _rows(client) == before


async def test_a_bad_draft_names_its_step_and_field(client: Client) -> None:
    broken = ORDER_STATUS.replace("answer_type: email", "answer_type: mail")
    answer = await client.post("/api/workflows/preview", json={"yaml": broken}, headers=BEARER)
    assert answer.status == 400
    error = (await answer.json())["error"]
    assert error["field"] == "yaml"
    assert error["reason"].startswith("draft: step ask_email: answer_type:")


async def test_answering_a_draft_that_does_not_wait_is_refused(client: Client) -> None:
    done = "name: hi\ntrigger: {event: conversation.created}\nsteps:\n  - {type: send_message, text: Hi}\n"
    turn = await _turn(client, yaml=done)
    assert _bot(turn) == ["Hi"] and turn["status"] == "completed"
    answer = await client.post(
        "/api/workflows/preview",
        json={"yaml": done, "session": turn["session"], "say": "hello"},
        headers=BEARER,
    )
    assert answer.status == 400
    assert (await answer.json())["error"]["field"] == "say"


async def test_agents_may_not_preview(agent_client: Client) -> None:
    answer = await agent_client.post(
        "/api/workflows/preview",
        json={"yaml": ORDER_STATUS},
        headers={"X-CSRF-Token": await csrf(agent_client)},
    )
    assert answer.status == 403


async def test_replay_checks_the_draft_and_its_name(client: Client) -> None:
    survey = (EXAMPLES / "support-survey.yaml").read_text()
    answer = await client.post(
        "/api/workflows/support-survey/replay", json={"yaml": survey, "last": 5}, headers=BEARER
    )
    assert answer.status == 200, await answer.text()
    report = await answer.json()
    assert (report["workflow"], report["runs"], report["outcomes"]) == ("support-survey", 0, [])
    assert set(report["counts"]) == {
        "same",
        "differs",
        "fails",
        "would_not_start",
        "not_comparable",
    }

    answer = await client.post(
        "/api/workflows/support/replay", json={"yaml": survey}, headers=BEARER
    )
    assert answer.status == 400
    assert (await answer.json())["error"] == {
        "field": "yaml",
        "reason": "the draft is named 'support-survey', not 'support'",
    }
    renamed = survey.replace("name: support-survey", "name: nowhere", 1)
    answer = await client.post(
        "/api/workflows/nowhere/replay", json={"yaml": renamed}, headers=BEARER
    )
    assert answer.status == 404
