"""Who a notification is meant for: agents by team or role, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.storage.models import Agent, Team, TeamMember
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class Recipient:
    """An agent as a notification sees it."""

    id: int
    email: str | None
    slack_user_id: str | None

    @classmethod
    def of(cls, agent: Any) -> Recipient:
        """From a stored agent (or any value with its ``id``, ``email`` and ``slack_user_id``)."""
        return cls(id=agent.id, email=agent.email, slack_user_id=agent.slack_user_id)


@dataclass(frozen=True, slots=True)
class RecipientTeam:
    """A team as a notification sees it."""

    id: int
    slack_channel: str | None


async def team_recipients(tx: Tx, name: str) -> tuple[list[Recipient], RecipientTeam | None]:
    """The team of this name and its members; ([], None) when there is no such team."""
    team = await tx.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        return [], None
    members = await tx.session.scalars(
        select(Agent)
        .join(TeamMember, TeamMember.agent_id == Agent.id)
        .where(TeamMember.team_id == team.id)
    )
    return [Recipient.of(a) for a in members], RecipientTeam(team.id, team.slack_channel)


async def recipients_with_role(tx: Tx, role: str) -> list[Recipient]:
    """The agents that have this role."""
    everyone = await tx.session.scalars(select(Agent))
    return [Recipient.of(a) for a in everyone if role in (a.roles or [])]
