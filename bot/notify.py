"""send_notification: resolve who is meant, then queue a Slack post or an e-mail for each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.errors import PermanentDeliveryError
from bot.models import Agent, Team, TeamMember
from bot.outbox_items import Delivery
from bot.run_calls import find_agent
from bot.services import Services
from bot.uow import Tx

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
        for channel in via:
            kind = SLACK_DM if channel == "slack" else EMAIL
            if not self.services.outbox.handles(kind):
                raise PermanentDeliveryError(_not_configured(channel))
        async with self.services.uow() as tx:
            agents, team = await self._recipients(tx, to)
            emails = [a.email for a in agents if a.email]
            if "email" in to:
                emails.append(to["email"])
            if not agents and not emails and team is None:
                raise PermanentDeliveryError(f"nobody to notify: no agent, team or address matches {to}")
            for number, channel in enumerate(via):
                key = f"{delivery.idempotency_key}:{number}"
                if channel == "slack":
                    self._slack(tx, delivery, key, text, agents, team)
                elif emails:
                    tx.enqueue(
                        EMAIL,
                        {"to": sorted(set(emails)), "subject": _subject(text), "text": text},
                        key=f"{key}:email", run_id=delivery.run_id, step_id=delivery.step_id,
                        conversation_id=delivery.conversation_id,
                    )

    def _slack(
        self, tx: Tx, delivery: Delivery, key: str, text: str, agents: list[Agent], team: Team | None
    ) -> None:
        common: dict[str, Any] = {
            "run_id": delivery.run_id, "step_id": delivery.step_id,
            "conversation_id": delivery.conversation_id,
        }
        if team is not None and team.slack_channel:
            tx.enqueue(SLACK_POST, {"channel": team.slack_channel, "text": text},
                       destination=f"slack:{team.slack_channel}", key=f"{key}:team", **common)
            return
        with_slack = [a for a in agents if a.slack_user_id]
        if not with_slack:
            raise PermanentDeliveryError("no Slack user to notify (agents need a Slack user id)")
        for agent in with_slack:
            tx.enqueue(SLACK_DM, {"user": agent.slack_user_id, "text": text},
                       destination=f"slack:{agent.slack_user_id}", key=f"{key}:{agent.id}", **common)

    async def _recipients(self, tx: Tx, to: dict[str, str]) -> tuple[list[Agent], Team | None]:
        if "agent" in to:
            agent = await find_agent(tx, to["agent"])
            return ([agent] if agent else []), None
        if "team" in to:
            team = await tx.session.scalar(select(Team).where(Team.name == to["team"]))
            if team is None:
                return [], None
            members = await tx.session.scalars(
                select(Agent).join(TeamMember, TeamMember.agent_id == Agent.id).where(TeamMember.team_id == team.id)
            )
            return list(members), team
        if "role" in to:
            everyone = await tx.session.scalars(select(Agent))
            return [a for a in everyone if to["role"] in (a.roles or [])], None
        return [], None


def _subject(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "relaybot notification"
    return first[:78]


def _not_configured(channel: str) -> str:
    if channel == "slack":
        return "Slack notifications are not configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)"
    return "e-mail notifications are not configured (set SMTP_HOST and SMTP_FROM)"
