"""Matching Slack users to relaybot agents: by Slack id, else by e-mail on first contact."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DeliveryError
from integrations.slack import senders
from integrations.slack.ports import AgentRef, ConsoleBackend

logger = logging.getLogger(__name__)


class AgentDirectory:
    """Asks the backend by Slack id first; only if that fails looks the e-mail up (``users.info``)."""

    def __init__(self, client: AsyncWebClient, backend: ConsoleBackend) -> None:
        self.client = client
        self.backend = backend

    async def resolve(self, slack_user_id: str) -> AgentRef | None:
        agent = await self.backend.resolve_agent(slack_user_id)
        if agent is not None:
            return agent
        try:
            email = await senders.user_email(self.client, slack_user_id)
        except DeliveryError as exc:
            logger.warning("users.info failed for %s: %s", slack_user_id, exc)
            return None
        if email is None:
            return None
        return await self.backend.resolve_agent(slack_user_id, email)
