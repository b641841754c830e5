"""One thread per conversation; agent replies relayed, notes kept, bots never relayed."""

from __future__ import annotations

import json
from typing import Any

from integrations.slack.ports import ThreadRef
from tests.fakes.slack import BOT_ID, BOT_USER_ID
from tests.integration.slack.conftest import AGENT, STRANGER, SlackEnv


def reply(
    text: str, user: str = AGENT, ts: str = "1700000200.000001", **extra: Any
) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": "CINBOX",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": "1700000000.000001",
        "channel_type": "channel",
    }
    event.update(extra)
    return event


async def open_thread(env: SlackEnv) -> ThreadRef:
    conversation = env.backend.conversations["42"]
    return await env.console.threads.open_thread(conversation)


async def test_open_thread_posts_header_once_and_mirrors(env: SlackEnv) -> None:
    ref = await open_thread(env)
    assert ref == ThreadRef("CINBOX", "1700000000.000001")
    header = env.fake.calls("chat.postMessage")[0]
    blocks = json.dumps(header["blocks"])
    for expected in (
        "Jane Doe",
        "telegram",
        "billing",
        "relay_claim",
        "relay_assign",
        "relay_close",
    ):
        assert expected in blocks
    assert await open_thread(env) == ref  # second call refreshes instead of posting again
    assert len(env.fake.calls("chat.postMessage")) == 1
    assert len(env.fake.calls("chat.update")) == 1

    await env.console.threads.post_to_thread("42", "Jane Doe", "Where is my <refund>?")
    mirrored = env.fake.calls("chat.postMessage")[1]
    assert mirrored["thread_ts"] == ref.thread_ts
    assert "Where is my &lt;refund&gt;?" in json.dumps(mirrored["blocks"])


async def test_post_to_thread_opens_missing_thread(env: SlackEnv) -> None:
    await env.console.threads.post_to_thread("42", "Bot", "Hi! How can I help?")
    posts = env.fake.calls("chat.postMessage")
    assert len(posts) == 2
    assert posts[1]["thread_ts"] == env.fake.messages[0]["ts"]


async def test_routes_send_a_channel_elsewhere(env: SlackEnv) -> None:
    env.console.threads.routes["telegram"] = "CTELEGRAM"
    ref = await open_thread(env)
    assert ref.channel == "CTELEGRAM"


async def test_agent_reply_is_relayed(env: SlackEnv) -> None:
    await open_thread(env)
    status, _ = await env.slack.event(reply("Your refund is on its way"))
    assert status == 200
    await env.backend.wait_called("agent_reply")
    assert env.backend.replies == [("42", AGENT, "Your refund is on its way")]


async def test_note_is_internal(env: SlackEnv) -> None:
    await open_thread(env)
    await env.slack.event(reply("NOTE: customer is angry, be gentle", ts="1700000200.000002"))
    await env.backend.wait_called("internal_note")
    assert env.backend.notes == [("42", AGENT, "customer is angry, be gentle")]
    assert env.backend.replies == []


async def test_bot_and_own_messages_are_never_relayed(env: SlackEnv) -> None:
    await open_thread(env)
    await env.slack.event(reply("from us", user=BOT_USER_ID, bot_id=BOT_ID))
    await env.slack.event(reply("other bot", subtype="bot_message", bot_id="BOTHER", ts="1.2"))
    await env.slack.event(reply("bot with user", bot_id="BOTHER", ts="1.3"))
    await env.slack.event(reply("edited", subtype="message_changed", ts="1.4"))
    await env.slack.event({**reply("top level", ts="1.5"), "thread_ts": None})
    await env.slack.event(reply("unknown thread", ts="1.6", thread_ts="9.9"))
    await env.slack.event(reply("the barrier", ts="1.7"))
    await env.backend.wait_called("agent_reply")
    assert [text for _, _, text in env.backend.replies] == ["the barrier"]


async def test_non_agent_reply_is_not_relayed(env: SlackEnv) -> None:
    await open_thread(env)
    await env.slack.event(reply("I am not an agent", user=STRANGER))
    ephemeral = (await env.fake.wait_calls("chat.postEphemeral"))[0]
    assert ephemeral["user"] == STRANGER
    assert ephemeral["thread_ts"] == "1700000000.000001"
    assert env.backend.replies == []


async def test_reply_to_closed_conversation_is_explained(env: SlackEnv) -> None:
    await open_thread(env)
    await env.backend.close("42", AGENT)
    await env.slack.event(reply("hello?"))
    ephemeral = (await env.fake.wait_calls("chat.postEphemeral"))[0]
    assert "Not sent" in ephemeral["text"]
    assert "is closed" in ephemeral["text"]
