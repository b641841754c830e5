"""Agents and teams: availability, and choosing who gets a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import func, select

from bot.core.errors import NotFoundError, ValidationFailed
from bot.storage.models import Agent, Conversation, Team, TeamMember
from bot.storage.uow import Tx

Strategy = Literal["round_robin", "least_busy"]
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


async def set_availability(tx: Tx, agent_id: int, available: bool) -> None:
    agent = await tx.session.get(Agent, agent_id)
    if agent is None:
        raise NotFoundError(f"agent {agent_id} not found")
    agent.available = available


async def open_load(tx: Tx) -> dict[int, int]:
    """Open conversations per agent."""
    rows = await tx.session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.status == "open", Conversation.assignee_id.is_not(None))
        .group_by(Conversation.assignee_id)
    )
    return {agent_id: count for agent_id, count in rows if agent_id is not None}


async def team_by_name(tx: Tx, name: str) -> Team | None:
    return await tx.session.scalar(select(Team).where(Team.name == name))


async def select_agent(
    tx: Tx, *, strategy: Strategy = "round_robin", team_id: int | None = None
) -> Agent | None:
    """Pick an available agent with spare capacity (in ``team_id`` if given), or None.

    round_robin: the one assigned longest ago; least_busy: the fewest open conversations
    (ties broken round-robin).
    """
    if strategy not in ("round_robin", "least_busy"):
        raise ValidationFailed("strategy", f"unknown strategy {strategy!r}")
    query = select(Agent).where(Agent.available.is_(True))
    if team_id is not None:
        query = query.join(TeamMember, TeamMember.agent_id == Agent.id).where(
            TeamMember.team_id == team_id
        )
    agents = list(await tx.session.scalars(query.order_by(Agent.id)))
    load = await open_load(tx)
    candidates = [a for a in agents if load.get(a.id, 0) < a.capacity]
    if not candidates:
        return None

    def recency(agent: Agent) -> tuple[datetime, int]:
        return (agent.last_assigned_at or EPOCH, agent.id)

    if strategy == "least_busy":
        return min(candidates, key=lambda a: (load.get(a.id, 0), *recency(a)))
    return min(candidates, key=recency)
