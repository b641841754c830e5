"""The Slack console on real storage: threads, replies, notes, claims, commands, retries."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.domain.replies import queue_reply
from bot.storage.models import Agent, Conversation, Message, OutboxItem
from integrations.slack.blocks import Actions
from tests.fakes.slack import BOT_ID, BOT_USER_ID
from tests.integration.slack.storage_env import (
    ADMIN,
    AGENT,
    EVE,
    STRANGER,
    SlackApp,
    slack_app,
    workflow_dir,
)

__all__ = ["slack_app", "workflow_dir"]


def thread_reply(
    text: str, thread_ts: str, user: str = AGENT, ts: str = "1700000900.000001", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "CINBOX",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "channel_type": "channel",
        **extra,
    }


async def conversation(app: SlackApp) -> Conversation:
    async with app.services.db.session() as session:
        row = await session.scalar(select(Conversation).order_by(Conversation.id))
    assert row is not None
    return row


async def test_new_conversation_opens_a_thread_and_mirrors_messages(slack_app: SlackApp) -> None:
    await slack_app.say("Where is my refund?")
    header, mirrored = slack_app.fake.calls("chat.postMessage")
    assert header["channel"] == "CINBOX" and header.get("thread_ts") is None
    assert "Jane Doe" in json.dumps(header["blocks"])
    assert mirrored["thread_ts"] == slack_app.fake.messages[0]["ts"]
    assert "Where is my refund?" in mirrored["text"]
    row = await conversation(slack_app)
    assert row.attributes["slack_thread"] == {"channel": "CINBOX", "ts": header_ts(slack_app)}

    await slack_app.say("Hello?")  # the same thread, no second header
    posts = slack_app.fake.calls("chat.postMessage")
    assert len(posts) == 3 and posts[2]["thread_ts"] == header_ts(slack_app)


def header_ts(app: SlackApp) -> str:
    return str(app.fake.messages[0]["ts"])


async def test_agent_reply_reaches_customer_and_is_not_mirrored_back(slack_app: SlackApp) -> None:
    await slack_app.say("Where is my refund?")
    status, _ = await slack_app.slack.event(thread_reply("It is on its way", header_ts(slack_app)))
    assert status == 200
    await slack_app.backend.wait_called("agent_reply")
    await slack_app.settle()
    assert slack_app.channel.texts("c1") == ["It is on its way"]
    assert len(slack_app.fake.calls("chat.postMessage")) == 2  # header + customer message only
    async with slack_app.services.db.session() as session:
        message = await session.scalar(select(Message).where(Message.direction == "out"))
    assert message is not None and message.sender_kind == "agent"


async def test_bot_messages_are_mirrored_but_our_posts_never_relayed(slack_app: SlackApp) -> None:
    await slack_app.say("hi")
    row = await conversation(slack_app)
    async with slack_app.services.uow() as tx:
        fresh = await tx.session.get(Conversation, row.id)
        assert fresh is not None
        await queue_reply(tx, fresh, "Hi! How can I help?", sender_kind="bot")
    await slack_app.settle()
    assert slack_app.fake.calls("chat.postMessage")[-1]["text"] == "Bot: Hi! How can I help?"
    ts = header_ts(slack_app)
    await slack_app.slack.event(thread_reply("Bot: Hi!", ts, user=BOT_USER_ID, bot_id=BOT_ID))
    await slack_app.slack.event(thread_reply("barrier", ts, ts="1700000900.000002"))
    await slack_app.backend.wait_called("agent_reply")
    await slack_app.settle()
    assert slack_app.channel.texts("c1") == ["Hi! How can I help?", "barrier"]


async def test_note_stays_internal(slack_app: SlackApp) -> None:
    await slack_app.say("Where is my refund?")
    await slack_app.slack.event(thread_reply("note: angry customer", header_ts(slack_app)))
    await slack_app.backend.wait_called("internal_note")
    await slack_app.settle()
    assert slack_app.channel.sent == []
    async with slack_app.services.db.session() as session:
        note = await session.scalar(select(Message).where(Message.direction == "note"))
    assert note is not None and note.text == "angry customer" and note.sender_kind == "agent"


async def test_claim_button_assigns_dms_and_updates_header(slack_app: SlackApp) -> None:
    await slack_app.say("Where is my refund?")
    row = await conversation(slack_app)
    await slack_app.slack.click(Actions.CLAIM, AGENT, value=str(row.id))
    (answer,) = await slack_app.fake.wait_responses(1)
    assert "You claimed" in answer["text"]
    await slack_app.settle()
    assert (await conversation(slack_app)).assignee_id is not None
    (dm,) = [m for m in slack_app.fake.calls("chat.postMessage") if m["channel"] == "D" + AGENT]
    assert "You were assigned" in dm["text"]
    assert Actions.UNASSIGN in json.dumps(dm["blocks"])
    header = slack_app.fake.calls("chat.update")[-1]
    assert header["ts"] == header_ts(slack_app) and f"<@{AGENT}>" in json.dumps(header["blocks"])


async def test_agent_found_by_email_on_first_contact(slack_app: SlackApp) -> None:
    await slack_app.slack.command("available", user_id=EVE)
    (answer,) = await slack_app.fake.wait_responses(1)
    assert "available" in answer["text"]
    async with slack_app.services.db.session() as session:
        eve = await session.scalar(select(Agent).where(Agent.email == "eve@example.com"))
    assert eve is not None and eve.slack_user_id == EVE


async def test_relay_commands_on_storage(slack_app: SlackApp) -> None:
    await slack_app.say("Where is my refund?")
    conv = str((await conversation(slack_app)).id)
    steps = [
        (AGENT, "queue", "Unassigned conversations: 1"),
        (AGENT, f"claim {conv}", "You claimed"),
        (AGENT, "mine", "Your conversations: 1"),
        (AGENT, f"tag {conv} vip", "Tagged"),
        (AGENT, f"assign {conv} <@{ADMIN}>", "Assigned"),
        (AGENT, f"close {conv}", "is now closed"),
        (AGENT, f"reopen {conv}", "is now open"),
        (AGENT, "away", "You are now away"),
        (AGENT, "workflows", "0 workflows"),
        (AGENT, "disable welcome", "Only relaybot admins"),
        (ADMIN, "disable welcome", "no workflow named"),
        (ADMIN, "logs", "Recent runs: 0"),
        (STRANGER, "mine", "not set up as a relaybot agent"),
        (AGENT, "claim 999", "not found"),
        (AGENT, "frobnicate", "Usage"),
    ]
    for number, (user, text, expected) in enumerate(steps, start=1):
        await slack_app.slack.command(text, user_id=user)
        answer = (await slack_app.fake.wait_responses(number))[-1]
        assert expected in answer["text"], (text, answer["text"])
        await slack_app.settle()
    header = slack_app.fake.calls("chat.update")[-1]
    assert "vip" in json.dumps(header["blocks"]) and f"<@{ADMIN}>" in json.dumps(header["blocks"])


async def test_forged_request_is_401(slack_app: SlackApp) -> None:
    status, _ = await slack_app.slack.command("help", secret="not-the-secret")
    assert status == 401


async def test_retried_event_is_handled_once(slack_app: SlackApp) -> None:
    await slack_app.say("Where is my refund?")
    event = thread_reply("Once only", header_ts(slack_app))
    await slack_app.slack.event(event, event_id="EvSAME")
    await slack_app.slack.event(event, event_id="EvSAME", retry_num=1)
    await slack_app.slack.event(thread_reply("barrier", header_ts(slack_app), ts="1.2"))
    await slack_app.backend.wait_called("agent_reply", 2)
    await slack_app.settle()
    assert sorted(slack_app.channel.texts("c1")) == ["Once only", "barrier"]  # concurrent listeners


async def test_rate_limited_post_is_retried_after_retry_after(slack_app: SlackApp) -> None:
    slack_app.fake.rate_limit("chat.postMessage", retry_after=30)
    await slack_app.say("Where is my refund?")
    assert slack_app.fake.messages == []  # the header got a 429
    async with slack_app.services.db.session() as session:
        item = await session.scalar(select(OutboxItem).where(OutboxItem.kind == "slack.thread"))
    assert item is not None and item.attempts == 1 and "ratelimited" in (item.last_error or "")
    assert item.next_attempt_at >= slack_app.clock.now() + timedelta(seconds=30)
    slack_app.clock.advance(timedelta(seconds=29))
    await slack_app.settle()
    assert slack_app.fake.messages == []
    slack_app.clock.advance(timedelta(seconds=2))
    await slack_app.settle()
    assert [m.get("thread_ts") for m in slack_app.fake.messages] == [None, header_ts(slack_app)]


OFFER = """
name: offer-to-ana
trigger: {event: conversation.created}
steps:
  - id: offer
    type: assign_to
    agent: ana@example.com
    timeout: 5m
    exits: {assigned: taken, timeout: nobody, unavailable: nobody}
  - id: taken
    type: send_message
    text: "Ana is with you now."
    next: end
  - id: nobody
    type: send_message
    text: "Everyone is busy; we will write back."
"""


async def test_offer_claimed_in_time_takes_assigned_exit(
    slack_app: SlackApp, workflow_dir: Path
) -> None:
    await start_offer_workflow(slack_app, workflow_dir)
    await slack_app.say("I need a human")
    row = await conversation(slack_app)
    assert row.attributes["offered_to"] is not None and row.assignee_id is None
    (offer,) = [m for m in slack_app.fake.calls("chat.postMessage") if m["channel"] == "D" + AGENT]
    assert "offered to you" in offer["text"] and Actions.CLAIM in json.dumps(offer["blocks"])
    slack_app.clock.advance(timedelta(minutes=2))
    await slack_app.slack.click(Actions.CLAIM, AGENT, value=str(row.id))
    await slack_app.fake.wait_responses(1)
    await slack_app.settle()
    assert slack_app.channel.texts("c1") == ["Ana is with you now."]
    slack_app.clock.advance(timedelta(minutes=10))
    await slack_app.settle()
    assert slack_app.channel.texts("c1") == ["Ana is with you now."]


async def test_offer_not_claimed_times_out(slack_app: SlackApp, workflow_dir: Path) -> None:
    await start_offer_workflow(slack_app, workflow_dir)
    await slack_app.say("I need a human")
    slack_app.clock.advance(timedelta(minutes=4))
    await slack_app.settle()
    assert slack_app.channel.texts("c1") == []
    slack_app.clock.advance(timedelta(minutes=2))
    await slack_app.settle()
    assert slack_app.channel.texts("c1") == ["Everyone is busy; we will write back."]
    assert (await conversation(slack_app)).assignee_id is None


async def start_offer_workflow(app: SlackApp, folder: Path) -> None:
    from bot.domain.workflow_store import import_files

    path = folder / "offer.yaml"
    path.write_text(OFFER, encoding="utf-8")
    await import_files(app.services.uow, [path])
