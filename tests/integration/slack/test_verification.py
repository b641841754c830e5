"""Requests into /slack/events are verified first; Slack's retries are handled once."""

from __future__ import annotations

import json
import time

from integrations.slack.ports import ThreadRef
from tests.integration.slack.conftest import AGENT, SlackEnv


def reply_event(text: str = "hello", ts: str = "1700000100.000001") -> dict[str, object]:
    return {
        "type": "message",
        "channel": "CINBOX",
        "user": AGENT,
        "text": text,
        "ts": ts,
        "thread_ts": "1700000000.000009",
        "channel_type": "channel",
    }


async def test_forged_signature_is_401(env: SlackEnv) -> None:
    status, _ = await env.slack.command("help", secret="not-the-secret")
    assert status == 401
    status, _ = await env.slack.event(reply_event(), secret="wrong")
    assert status == 401
    assert env.fake.responses() == []
    assert env.backend.calls == []


async def test_stale_timestamp_is_401(env: SlackEnv) -> None:
    status, _ = await env.slack.command("help", timestamp=int(time.time()) - 10 * 60)
    assert status == 401


async def test_retried_event_is_handled_once(env: SlackEnv) -> None:
    await env.registry.save("42", ThreadRef("CINBOX", "1700000000.000009"))
    first = await env.slack.event(reply_event("first"), event_id="EvSAME")
    retried = await env.slack.event(reply_event("first"), event_id="EvSAME", retry_num=1)
    other = await env.slack.event(reply_event("second", ts="1700000100.000002"), event_id="EvOTHER")
    assert [first[0], retried[0], other[0]] == [200, 200, 200]
    # the distinct event is the barrier: the retry was dropped before its request was answered
    await env.backend.wait_called("agent_reply", 2)
    assert [text for _, _, text in env.backend.replies] == ["first", "second"]


async def test_url_verification_challenge(env: SlackEnv) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    status, text = await env.slack.post(body, "application/json")
    assert status == 200
    assert "abc123" in text
