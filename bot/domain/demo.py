"""Demo data for ``make run`` (``RELAYBOT_DEMO``): two agents in the ``support`` team.

Seeded at start-up only in demo mode (:func:`bot.app.demo_agent.setup_demo`), so a hand-off
in the demo reaches someone; the agents answer from the demo agent page. A configured
deployment (demo mode off) never gets demo data.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.storage.models import Agent, Team, TeamMember
from bot.storage.uow import Tx
from workflows.business_hours import DAYS
from workflows.schema import Workflow
from workflows.steps.date_time import DateTimeStep

logger = logging.getLogger(__name__)

DEMO_TEAM = "support"
DEMO_AGENTS = (
    ("Maya Lopez", "maya@demo.relaybot.invalid"),
    ("Sam Okafor", "sam@demo.relaybot.invalid"),
)
"""Name and e-mail of each demo agent; the e-mail marks an agent as demo data."""


async def seed_demo(tx: Tx) -> list[Agent]:
    """Create the demo agents and team where missing (idempotent); the demo agents."""
    team = await tx.session.scalar(select(Team).where(Team.name == DEMO_TEAM))
    if team is None:
        team = Team(name=DEMO_TEAM)
        tx.session.add(team)
        await tx.session.flush()
    agents: list[Agent] = []
    for name, email in DEMO_AGENTS:
        agent = await tx.session.scalar(select(Agent).where(Agent.email == email))
        if agent is None:
            agent = Agent(name=name, email=email, roles=["agent"], available=True, capacity=10)
            tx.session.add(agent)
            await tx.session.flush()
            logger.info("demo agent %s added to team %s", name, DEMO_TEAM)
        member = await tx.session.get(TeamMember, (team.id, agent.id))
        if member is None:
            tx.session.add(TeamMember(team_id=team.id, agent_id=agent.id))
        agents.append(agent)
    return agents


async def demo_agents(tx: Tx) -> list[Agent]:
    """The demo agents that exist, in seeding order."""
    emails = [email for _, email in DEMO_AGENTS]
    rows = await tx.session.scalars(select(Agent).where(Agent.email.in_(emails)).order_by(Agent.id))
    return list(rows)


AROUND_THE_CLOCK = {day: ["00:00-24:00"] for day in DAYS}


def open_around_the_clock(definition: Workflow) -> Workflow:
    """``definition`` with every business-hours step open at any hour, holidays included.

    The demo's agents are always on duty: whenever the demo runs, a hand-off that checks
    business hours (``support``'s, say) reaches them instead of saying when the team is
    back. Only the demo's catalog hands definitions out this way; the stored versions
    and every configured deployment keep the hours as written.
    """
    if not any(isinstance(step, DateTimeStep) for step in definition.steps):
        return definition
    open_always: dict[str, object] = {
        "hours": AROUND_THE_CLOCK,
        "holidays": [],
        "holiday_country": None,
    }
    steps = [
        step.model_copy(update=open_always) if isinstance(step, DateTimeStep) else step
        for step in definition.steps
    ]
    return definition.model_copy(update={"steps": steps})
