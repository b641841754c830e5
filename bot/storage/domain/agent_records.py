"""Agents and teams as the assignment rules read them, and the changes those rules make.

Each function takes the open transaction; values come out as frozen dataclasses. The
changes are made on the session's own rows (kept in it once read, see
:mod:`bot.storage.record_rows`), so a row someone else holds in the same transaction
shows them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bot.storage.models import Agent, Conversation, Team, TeamMember
from bot.storage.record_rows import keep
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """One agent as the assignment rules see it."""

    id: int
    name: str
    available: bool
    capacity: int
    last_assigned_at: datetime | None
    slack_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class TeamRecord:
    id: int
    name: str
    slack_channel: str | None = None


def agent_record(agent: Agent) -> AgentRecord:
    return AgentRecord(
        id=agent.id,
        name=agent.name,
        available=agent.available,
        capacity=agent.capacity,
        last_assigned_at=agent.last_assigned_at,
        slack_user_id=agent.slack_user_id,
    )


async def available_agents(tx: Tx, team_id: int | None = None) -> list[AgentRecord]:
    """The available agents (members of ``team_id`` when given), by id."""
    query = select(Agent).where(Agent.available.is_(True))
    if team_id is not None:
        query = query.join(TeamMember, TeamMember.agent_id == Agent.id).where(
            TeamMember.team_id == team_id
        )
    agents = list(await tx.session.scalars(query.order_by(Agent.id)))
    keep(tx, agents)
    return [agent_record(a) for a in agents]


async def open_load(tx: Tx) -> dict[int, int]:
    """Open conversations per agent (agents with none are left out)."""
    rows = await tx.session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.status == "open", Conversation.assignee_id.is_not(None))
        .group_by(Conversation.assignee_id)
    )
    return {agent_id: count for agent_id, count in rows if agent_id is not None}


async def team_named(tx: Tx, name: str) -> TeamRecord | None:
    team = await tx.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        return None
    keep(tx, [team])
    return TeamRecord(team.id, team.name, team.slack_channel)


async def _agent(tx: Tx, agent_id: int) -> Agent | None:
    agent = await tx.session.get(Agent, agent_id)
    if agent is not None:
        keep(tx, [agent])
    return agent


async def agent_exists(tx: Tx, agent_id: int) -> bool:
    return await _agent(tx, agent_id) is not None


async def team_exists(tx: Tx, team_id: int) -> bool:
    team = await tx.session.get(Team, team_id)
    if team is None:
        return False
    keep(tx, [team])
    return True


async def set_agent_available(tx: Tx, agent_id: int, available: bool) -> bool:
    """Mark the agent available or away; False when there is no such agent."""
    agent = await _agent(tx, agent_id)
    if agent is None:
        return False
    agent.available = available
    return True


async def set_agent_assigned_at(tx: Tx, agent_id: int, at: datetime) -> None:
    """Note when the agent last got a conversation (round-robin order)."""
    agent = await _agent(tx, agent_id)
    assert agent is not None, f"agent {agent_id} vanished"
    agent.last_assigned_at = at
