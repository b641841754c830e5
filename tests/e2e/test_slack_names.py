"""What agents read in Slack: visitors by a readable name, pressed buttons by their labels."""

from __future__ import annotations

import json

from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.contact_names import friendly_name
from bot.domain.replies import queue_reply
from bot.storage.models import Conversation
from integrations.slack.blocks import Actions
from tests.e2e.test_slack_console import conversation, header_ts
from tests.integration.slack.storage_env import AGENT, SlackApp, slack_app, workflow_dir
from workflows.message_parts import Choice

__all__ = ["slack_app", "workflow_dir"]

VISITOR = "v_hg26k3x9q"
HELP = [Choice(label="Yes, please help", value="yes"), Choice(label="No, thanks", value="no")]


async def visitor_writes(app: SlackApp, text: str, number: int) -> None:
    """An anonymous visitor (no name, e-mail or phone) writes."""
    await app.services.inbox.receive(
        InboundMessage(
            channel=app.channel.name,
            external_conversation_id=VISITOR,
            external_message_id=f"{VISITOR}:{number}",
            sender=SenderProfile(external_id=VISITOR),
            kind="text",
            text=text,
        )
    )
    await app.settle()


async def test_anonymous_visitor_has_a_friendly_name_everywhere(slack_app: SlackApp) -> None:
    await visitor_writes(slack_app, "Is anyone there?", 1)
    row = await conversation(slack_app)
    name = friendly_name(row.contact_id)

    header, mirrored = slack_app.fake.calls("chat.postMessage")
    assert f"*{name}*" in json.dumps(header["blocks"]) and name in header["text"]
    assert mirrored["text"] == f"{name}: Is anyone there?"

    await slack_app.slack.command("queue", user_id=AGENT)
    (queue,) = await slack_app.fake.wait_responses(1)
    assert f"*{name}*" in json.dumps(queue["blocks"])

    await slack_app.slack.click(Actions.CLAIM, AGENT, value=str(row.id))
    await slack_app.fake.wait_responses(2)
    await slack_app.settle()
    (dm,) = [m for m in slack_app.fake.calls("chat.postMessage") if m["channel"] == "D" + AGENT]
    assert name in dm["text"]

    assert VISITOR.encode() not in b"".join(r.body for r in slack_app.fake.received("/"))


async def test_pressed_button_is_mirrored_by_its_label(slack_app: SlackApp) -> None:
    await slack_app.say("My order is late")
    row = await conversation(slack_app)
    async with slack_app.services.uow() as tx:
        fresh = await tx.session.get(Conversation, row.id)
        assert fresh is not None
        await queue_reply(tx, fresh, "Shall we look into it?", sender_kind="bot", choices=HELP)
    await slack_app.settle()

    # The platform did not say which label was pressed: the text is the payload value.
    await slack_app.services.inbox.receive(
        InboundMessage(
            channel=slack_app.channel.name,
            external_conversation_id="c1",
            external_message_id="press-1",
            sender=SenderProfile(external_id="c1", name="Jane Doe"),
            kind="button",
            text="yes",
            payload="yes",
        )
    )
    await slack_app.settle()
    last = slack_app.thread_posts(header_ts(slack_app))[-1]
    assert last["text"] == "Jane Doe: Yes, please help"

    await slack_app.slack.command("queue", user_id=AGENT)
    (queue,) = await slack_app.fake.wait_responses(1)
    assert "_Yes, please help_" in json.dumps(queue["blocks"])
