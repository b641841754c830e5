"""The Slack console: shared state of the listeners and the notifications agents get."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.errors import DeliveryError
from integrations.slack import senders
from integrations.slack.agents import AgentDirectory
from integrations.slack.blocks import assignment_dm, conversation_title
from integrations.slack.mrkdwn import Block
from integrations.slack.ports import (
    ApprovalDesk,
    ConsoleBackend,
    ConversationSummary,
    ThreadRegistry,
)
from integrations.slack.threads import SlackThreads

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What a command or an action answers, shown only to the person who asked."""

    text: str
    blocks: list[Block] | None = None


class SlackConsole:
    """Everything the listeners share; also the entry point for notifications from outside."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        backend: ConsoleBackend,
        registry: ThreadRegistry,
        http_session: aiohttp.ClientSession,
        inbox_channel: str | None,
        admin_user_ids: Iterable[str] = (),
        routes: Mapping[str, str] | None = None,
        follow_ups: bool = True,
        approvals: ApprovalDesk | None = None,
    ) -> None:
        self.client = client
        self.follow_ups = follow_ups
        self.approvals = approvals
        self.backend = backend
        self.registry = registry
        self.http_session = http_session
        self.admin_user_ids = frozenset(admin_user_ids)
        self.threads = SlackThreads(client, registry, backend, inbox_channel, routes)
        self.agents = AgentDirectory(client, backend)

    def is_admin(self, slack_user_id: str) -> bool:
        return slack_user_id in self.admin_user_ids

    async def notify_assignment(self, conversation: ConversationSummary) -> None:
        """DM the assignee: summary, a link to the thread and an Unassign button."""
        if conversation.assignee_slack_id is None:
            return
        url = await self.threads.thread_url(conversation.id)
        await senders.send_dm(
            self.client,
            conversation.assignee_slack_id,
            f"You were assigned {conversation_title(conversation)}",
            assignment_dm(conversation, url),
        )

    async def notify_agent(
        self, slack_user_id: str, text: str, blocks: list[Block] | None = None
    ) -> str:
        """A send_notification to one agent: a DM."""
        return await senders.send_dm(self.client, slack_user_id, text, blocks)

    async def notify_channel(
        self, channel: str, text: str, blocks: list[Block] | None = None
    ) -> str:
        """A send_notification to a team: a post in the team's channel."""
        return await senders.post_message(self.client, channel, text, blocks)

    async def changed(self, conversation: ConversationSummary, *, assigned: bool = False) -> None:
        """After an agent acted from Slack: refresh the header, DM a new assignee.

        Off (``follow_ups=False``) when the domain events already do both through the
        outbox (:mod:`integrations.slack.mirror`): one path for each header update and DM.
        """
        if not self.follow_ups:
            return
        try:
            await self.threads.update_header(conversation)
            if assigned:
                await self.notify_assignment(conversation)
        except DeliveryError:
            logger.exception("slack follow-up failed", extra={"conversation_id": conversation.id})

    async def reply(
        self, response_url: str | None, reply: Reply, *, replace_original: bool = False
    ) -> None:
        """Answer through the interaction's ``response_url`` (ephemeral unless replacing)."""
        if not response_url:
            logger.warning("no response_url to answer with: %s", reply.text)
            return
        hook = AsyncWebhookClient(response_url, session=self.http_session, retry_handlers=[])
        message: dict[str, object] = {"text": reply.text, "replace_original": replace_original}
        if not replace_original:
            message["response_type"] = "ephemeral"
        if reply.blocks is not None:
            message["blocks"] = reply.blocks
        response = await hook.send_dict(message)
        if response.status_code != 200:
            logger.warning("response_url answered %s: %s", response.status_code, response.body)
