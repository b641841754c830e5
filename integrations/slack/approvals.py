"""Approvals in Slack: the ``approval`` outbox kind and the Approve / Reject buttons.

A request is posted top-level in the channel of the conversation's thread (or
``SLACK_INBOX_CHANNEL``), with a link to the thread; the runner hears where through an
``approval.posted`` event. Pressing a button records the decision (only relaybot agents,
only the first decision counts) and answers the agent privately; the runner then goes on
and queues the ``decided`` update, which replaces the buttons with who decided.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.core.errors import PermanentDeliveryError
from bot.domain.holds import APPROVAL
from bot.pipeline.approval_decisions import RunApprovals
from bot.pipeline.outbox import Outbox
from bot.storage.pipeline.outbox_items import Delivery
from integrations.slack import senders
from integrations.slack.approval_blocks import (
    approval_decided,
    approval_request,
    decided_text,
    parse_button_value,
    request_text,
)
from integrations.slack.blocks import Actions
from integrations.slack.console import Reply, SlackConsole
from integrations.slack.deliveries import ConsoleGetter, started_console
from integrations.slack.ports import ConversationSummary
from integrations.slack.relay import NOT_AGENT

logger = logging.getLogger(__name__)

NOT_HERE = "Approvals are not handled by this app."
NOT_OURS = ":warning: This button is not a relaybot approval."


class ApprovalDeliveries:
    """Posts requests and shows decisions with the console built at startup."""

    def __init__(
        self, console: ConsoleGetter, desk: RunApprovals, inbox_channel: str | None
    ) -> None:
        self._console = console
        self.desk = desk
        self.inbox_channel = inbox_channel

    def register(self, outbox: Outbox, *, pace_seconds: float = 1.0) -> None:
        outbox.register(APPROVAL, self.deliver, min_interval=pace_seconds)

    @property
    def console(self) -> SlackConsole:
        return started_console(self._console)

    async def deliver(self, delivery: Delivery) -> None:
        payload, op = delivery.payload, delivery.payload.get("op")
        if op == "request":
            await self._request(payload)
        elif op == "decided":
            await self._decided(payload)
        else:
            raise PermanentDeliveryError(f"approval: unknown operation {op!r}")

    async def _request(self, p: dict[str, Any]) -> None:
        run_id, key = int(p["run_id"]), str(p["key"])
        if not await self.desk.is_open(run_id, key):
            logger.info("approval for run %s decided before it was posted", run_id)
            return
        console = self.console
        conversation = await self._conversation(console, p)
        thread = await console.registry.get(conversation.id) if conversation else None
        channel = thread.channel if thread is not None else self.inbox_channel
        if not channel:
            raise PermanentDeliveryError(
                "slack: no channel to ask for approval (set SLACK_INBOX_CHANNEL)"
            )
        url = await console.threads.thread_url(conversation.id) if thread and conversation else None
        ts = await senders.post_message(
            console.client, channel, request_text(p), approval_request(p, conversation, url)
        )
        await self.desk.posted(run_id, key, channel, ts)

    async def _decided(self, p: dict[str, Any]) -> None:
        if not p.get("channel") or not p.get("ts"):
            return
        console = self.console
        conversation = await self._conversation(console, p)
        await senders.update_message(
            console.client,
            str(p["channel"]),
            str(p["ts"]),
            decided_text(p),
            approval_decided(p, conversation),
        )

    @staticmethod
    async def _conversation(console: SlackConsole, p: dict[str, Any]) -> ConversationSummary | None:
        conversation_id = p.get("conversation_id")
        if conversation_id is None:
            return None
        return await console.backend.conversation(str(conversation_id))


def register(app: AsyncApp, console: SlackConsole) -> None:
    """Approve and Reject: only agents decide; the first decision on a request counts."""

    async def decide(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = str((body.get("user") or {}).get("id", ""))
        reply = await _decide(console, user, body, action)
        logger.info("approval button by %s: %s", user, reply)
        await console.reply(body.get("response_url"), Reply(reply))

    app.action(Actions.APPROVE)(decide)
    app.action(Actions.REJECT)(decide)


async def _decide(
    console: SlackConsole, user: str, body: dict[str, Any], action: dict[str, Any]
) -> str:
    if console.approvals is None:
        return NOT_HERE
    agent = await console.agents.resolve(user)
    if agent is None:
        return NOT_AGENT
    try:
        run_id, key = parse_button_value(str(action.get("value") or ""))
    except ValueError:
        return NOT_OURS
    container = body.get("container") or {}
    where = None
    if container.get("channel_id") and container.get("message_ts"):
        where = (str(container["channel_id"]), str(container["message_ts"]))
    verdict = await console.approvals.decide(
        run_id,
        key,
        approve=action.get("action_id") == Actions.APPROVE,
        slack_user_id=user,
        agent_name=agent.name,
        where=where,
    )
    return verdict.text
