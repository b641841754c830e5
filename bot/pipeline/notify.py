"""send_notification: resolve who is meant, then queue a Slack post or an e-mail for each.

Each way of notifying goes out on its own: one that cannot be used (not configured, or
nobody with a Slack id or an address) is logged on the run and the others still go.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core.errors import PermanentDeliveryError
from bot.pipeline.run_calls import find_agent
from bot.pipeline.run_store import add_log
from bot.pipeline.services import Services
from bot.storage.domain.run_log_records import workflow_of_run
from bot.storage.pipeline.notify_queries import (
    Recipient,
    RecipientTeam,
    recipients_with_role,
    team_recipients,
)
from bot.storage.pipeline.outbox_items import Delivery
from bot.storage.uow import Tx

logger = logging.getLogger(__name__)

SLACK_DM = "slack.dm"
SLACK_POST = "slack.post"
EMAIL = "email"


class Notifier:
    """The outbox handler for ``notify`` items."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, delivery: Delivery) -> None:
        to: dict[str, str] = delivery.payload.get("to", {})
        via: list[str] = delivery.payload.get("via", ["slack"])
        text = str(delivery.payload.get("text", ""))
        kinds = {"slack": SLACK_DM, "email": EMAIL}
        if not any(self.services.outbox.handles(kinds.get(channel, EMAIL)) for channel in via):
            raise PermanentDeliveryError("; ".join(_not_configured(channel) for channel in via))
        async with self.services.uow() as tx:
            agents, team = await self._recipients(tx, to)
            emails = [a.email for a in agents if a.email]
            if "email" in to:
                emails.append(to["email"])
            if not agents and not emails and team is None:
                raise PermanentDeliveryError(
                    f"nobody to notify: no agent, team or address matches {to}"
                )
            refused: list[tuple[str, str]] = []
            for number, channel in enumerate(via):
                key = f"{delivery.idempotency_key}:{number}"
                if channel == "slack":
                    reason = self._slack(tx, delivery, key, text, agents, team)
                else:
                    reason = self._email(tx, delivery, key, text, emails)
                if reason is not None:
                    refused.append((channel, reason))
            if len(refused) == len(via):
                raise PermanentDeliveryError("; ".join(reason for _, reason in refused))
            for channel, reason in refused:
                await self._log_refused(tx, delivery, channel, reason)

    def _slack(
        self,
        tx: Tx,
        delivery: Delivery,
        key: str,
        text: str,
        agents: list[Recipient],
        team: RecipientTeam | None,
    ) -> str | None:
        """Queue the Slack posts; the reason when Slack cannot be used."""
        if not self.services.outbox.handles(SLACK_DM):
            return _not_configured("slack")
        common = _common(delivery)
        if team is not None and team.slack_channel:
            tx.writes.enqueue(
                SLACK_POST,
                {"channel": team.slack_channel, "text": text},
                destination=f"slack:{team.slack_channel}",
                key=f"{key}:team",
                **common,
            )
            return None
        with_slack = [a for a in agents if a.slack_user_id]
        if not with_slack:
            return "no Slack user to notify (agents need a Slack user id)"
        for agent in with_slack:
            tx.writes.enqueue(
                SLACK_DM,
                {"user": agent.slack_user_id, "text": text},
                destination=f"slack:{agent.slack_user_id}",
                key=f"{key}:{agent.id}",
                **common,
            )
        return None

    def _email(
        self, tx: Tx, delivery: Delivery, key: str, text: str, emails: list[str]
    ) -> str | None:
        """Queue the e-mail; the reason when e-mail cannot be used."""
        if not self.services.outbox.handles(EMAIL):
            return _not_configured("email")
        if not emails:
            return "no e-mail address to notify (agents need an e-mail address)"
        tx.writes.enqueue(
            EMAIL,
            {"to": sorted(set(emails)), "subject": _subject(text), "text": text},
            key=f"{key}:email",
            **_common(delivery),
        )
        return None

    async def _log_refused(self, tx: Tx, delivery: Delivery, channel: str, reason: str) -> None:
        message = f"notification via {channel} not sent: {reason}"
        logger.warning(
            "%s", message, extra={"run_id": delivery.run_id, "step_id": delivery.step_id}
        )
        if delivery.run_id is None:
            return
        workflow_id = await workflow_of_run(tx, delivery.run_id)
        if workflow_id is not None:
            add_log(
                tx,
                run_id=delivery.run_id,
                workflow_id=workflow_id,
                kind="error",
                step_id=delivery.step_id,
                message=message,
                data={"via": channel},
            )

    async def _recipients(
        self, tx: Tx, to: dict[str, str]
    ) -> tuple[list[Recipient], RecipientTeam | None]:
        if "agent" in to:
            agent = await find_agent(tx, to["agent"])
            return ([Recipient.of(agent)] if agent else []), None
        if "team" in to:
            return await team_recipients(tx, to["team"])
        if "role" in to:
            return await recipients_with_role(tx, to["role"]), None
        return [], None


def _common(delivery: Delivery) -> dict[str, Any]:
    return {
        "run_id": delivery.run_id,
        "step_id": delivery.step_id,
        "conversation_id": delivery.conversation_id,
    }


def _subject(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "relaybot notification"
    return first[:78]


def _not_configured(channel: str) -> str:
    if channel == "slack":
        return (
            "Slack notifications are not configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)"
        )
    return "e-mail notifications are not configured (set SMTP_HOST and SMTP_FROM)"
