"""Every ``/relay`` subcommand, answered ephemerally through the response URL."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.slack.ports import ConditionCheck, RunLogView, StepLog, ThreadRef
from tests.integration.slack.conftest import ADMIN, AGENT, STRANGER, SlackEnv


async def relay(env: SlackEnv, text: str, user: str = AGENT) -> dict[str, Any]:
    before = len(env.fake.responses())
    status, body = await env.slack.command(text, user_id=user)
    assert status == 200
    assert body == ""  # acknowledged empty; the answer follows through response_url
    responses = await env.fake.wait_responses(before + 1)
    reply = responses[before]
    assert reply["response_type"] == "ephemeral"
    return reply


def all_text(reply: dict[str, Any]) -> str:
    return str(reply["text"]) + str(reply.get("blocks", ""))


async def test_help_and_empty_text(env: SlackEnv) -> None:
    for text in ("help", ""):
        reply = await relay(env, text)
        assert "/relay claim ID" in reply["text"]
        assert "/relay logs [NAME] [--failed]" in reply["text"]


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("frobnicate", "/relay help"),
        ("claim", "/relay claim ID"),
        ("assign 42", "/relay assign ID @user"),
        ("assign 42 bob", "/relay assign ID @user"),
        ("tag 42", "/relay tag ID TAG"),
        ("enable", "/relay enable NAME"),
        ("logs a b", "/relay logs [NAME] [--failed]"),
        ("mine now", "/relay mine"),
    ],
)
async def test_usage_lines(env: SlackEnv, text: str, usage: str) -> None:
    reply = await relay(env, text)
    assert f"Usage: `{usage}`" in reply["text"]
    assert env.backend.calls == [] or all(n == "resolve_agent" for n, _ in env.backend.calls)


async def test_queue_and_mine(env: SlackEnv) -> None:
    reply = await relay(env, "queue")
    assert "Unassigned conversations: 1" in reply["text"]
    assert "Jane Doe" in all_text(reply)
    assert "relay_claim" in all_text(reply)
    reply = await relay(env, "mine")
    assert "Your conversations: 0" in reply["text"]
    assert env.backend.called("mine") == [(AGENT,)]


async def test_claim_updates_header_and_dms(env: SlackEnv) -> None:
    await env.registry.save("42", ThreadRef("CINBOX", "1700000000.000009"))
    reply = await relay(env, "claim #42")
    assert "You claimed #42" in reply["text"]
    assert env.backend.called("claim") == [("42", AGENT)]
    updates = await env.fake.wait_calls("chat.update")
    assert updates[0]["ts"] == "1700000000.000009"
    assert f"<@{AGENT}>" in str(updates[0]["blocks"])
    opened = await env.fake.wait_calls("conversations.open")
    assert opened[0]["users"] == AGENT
    posts = await env.fake.wait_calls("chat.postMessage")
    assert posts[0]["channel"] == f"D{AGENT}"


async def test_assign_parses_mention(env: SlackEnv) -> None:
    reply = await relay(env, f"assign 42 <@{ADMIN}|adam>")
    assert f"to <@{ADMIN}>" in reply["text"]
    assert env.backend.called("assign") == [("42", ADMIN, AGENT)]
    dm = await env.fake.wait_calls("conversations.open")
    assert dm[0]["users"] == ADMIN


async def test_assign_to_non_agent(env: SlackEnv) -> None:
    reply = await relay(env, f"assign 42 <@{STRANGER}>")
    assert "not a relaybot agent" in reply["text"]
    assert env.backend.called("assign") == []


async def test_close_reopen_tag(env: SlackEnv) -> None:
    assert "is now closed" in (await relay(env, "close 42"))["text"]
    assert "is now open" in (await relay(env, "reopen 42"))["text"]
    assert "with `VIP`" in (await relay(env, "tag 42 VIP"))["text"]
    assert env.backend.conversations["42"].tags == ("billing", "VIP")
    assert env.backend.called("close") == [("42", AGENT)]


async def test_unknown_conversation(env: SlackEnv) -> None:
    reply = await relay(env, "close 999")
    assert "conversation 999 not found" in reply["text"]


async def test_available_and_away(env: SlackEnv) -> None:
    assert "now away" in (await relay(env, "away"))["text"]
    assert "now available" in (await relay(env, "available"))["text"]
    assert env.backend.called("set_availability") == [(AGENT, False), (AGENT, True)]


async def test_agent_commands_need_an_agent(env: SlackEnv) -> None:
    reply = await relay(env, "claim 42", user=STRANGER)
    assert "not set up as a relaybot agent" in reply["text"]
    assert env.backend.called("claim") == []


async def test_agent_matched_by_email_on_first_contact(env: SlackEnv) -> None:
    env.backend.add_agent("a3", "Eve", email="eve@example.com")
    env.fake.add_user("UEVE", "Eve", email="eve@example.com")
    reply = await relay(env, "mine", user="UEVE")
    assert "Your conversations" in reply["text"]
    assert env.fake.calls("users.info")[0]["user"] == "UEVE"
    assert env.backend.agents["a3"].slack_user_id == "UEVE"


async def test_workflows_buttons_only_for_admins(env: SlackEnv) -> None:
    agent_view = await relay(env, "workflows")
    assert "welcome" in all_text(agent_view)
    assert "relay_wf_disable" not in all_text(agent_view)
    admin_view = await relay(env, "workflows", user=ADMIN)
    assert "relay_wf_disable" in all_text(admin_view)


async def test_enable_disable_admin_only(env: SlackEnv) -> None:
    refused = await relay(env, "disable welcome")
    assert "Only relaybot admins" in refused["text"]
    assert env.backend.called("set_workflow_enabled") == []
    done = await relay(env, "disable welcome", user=ADMIN)
    assert "`welcome` is now disabled" in done["text"]
    done = await relay(env, "enable welcome", user=ADMIN)
    assert "`welcome` is now enabled" in done["text"]
    missing = await relay(env, "enable nope", user=ADMIN)
    assert "workflow nope not found" in missing["text"]


async def test_logs(env: SlackEnv) -> None:
    env.backend.runs = [
        RunLogView(
            "r1",
            "welcome",
            "failed",
            "conversation.created",
            conditions=(ConditionCheck("contact.channel", "eq", "telegram", "telegram", True),),
            steps=(StepLog("greet", "send_message", error="telegram: blocked"),),
            errors=("send failed",),
        ),
        RunLogView("r2", "other", "completed", "message.received"),
    ]
    reply = await relay(env, "logs")
    assert "Recent runs: 2" in reply["text"]
    reply = await relay(env, "logs welcome --failed")
    assert "Failed runs of welcome: 1" in reply["text"]
    text = all_text(reply)
    assert "contact.channel" in text
    assert "telegram: blocked" in text
    assert env.backend.called("run_logs")[-1] == ("welcome", True, 5)
