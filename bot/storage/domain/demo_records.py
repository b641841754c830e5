"""The demo's agents and team (demo mode only), handed out as plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.storage.models import Agent, Team, TeamMember
from bot.storage.uow import Tx


@dataclass(frozen=True)
class DemoAgent:
    id: int
    name: str
    email: str | None


def _demo_agent(agent: Agent) -> DemoAgent:
    return DemoAgent(agent.id, agent.name, agent.email)


async def ensure_team_agents(
    tx: Tx, team_name: str, agents: Sequence[tuple[str, str]]
) -> tuple[list[DemoAgent], list[DemoAgent]]:
    """The team and the agents (name, e-mail; known by e-mail), created where missing, each
    agent a member of the team: every one of the agents, and those created now."""
    team = await tx.session.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        team = Team(name=team_name)
        tx.session.add(team)
        await tx.session.flush()
    every: list[DemoAgent] = []
    added: list[DemoAgent] = []
    for name, email in agents:
        agent = await tx.session.scalar(select(Agent).where(Agent.email == email))
        if agent is None:
            agent = Agent(name=name, email=email, roles=["agent"], available=True, capacity=10)
            tx.session.add(agent)
            await tx.session.flush()
            added.append(_demo_agent(agent))
        member = await tx.session.get(TeamMember, (team.id, agent.id))
        if member is None:
            tx.session.add(TeamMember(team_id=team.id, agent_id=agent.id))
        every.append(_demo_agent(agent))
    return every, added


async def agents_by_email(tx: Tx, emails: list[str]) -> list[DemoAgent]:
    """The agents with these e-mail addresses, in the order they were created."""
    rows = await tx.session.scalars(select(Agent).where(Agent.email.in_(emails)).order_by(Agent.id))
    return [_demo_agent(agent) for agent in rows]
