"""Demo data for ``make run`` (``RELAYBOT_DEMO``): two agents in the ``support`` team, and
console accounts to sign in with (an admin, and the first demo agent as an agent).

Seeded at start-up only in demo mode (:func:`bot.app.demo_agent.setup_demo`), so a hand-off
in the demo reaches someone; the agents answer from the demo agent page. A configured
deployment (demo mode off) never gets demo data.
"""

from __future__ import annotations

import logging

from bot.domain import accounts
from bot.domain.audit import Actor
from bot.storage.domain.demo_records import DemoAgent, agents_by_email, ensure_team_agents
from bot.storage.uow import Tx, UnitOfWork
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
DEMO_ADMIN = "admin@demo.relaybot.invalid"
DEMO_PASSWORD = "relaybot-demo"
"""The demo console accounts' password: demo mode only, never a configured deployment."""
DEMO_ACCOUNTS = ((DEMO_ADMIN, "admin"), (DEMO_AGENTS[0][1], "agent"))
DEMO = Actor("demo", "cli", "cli")


async def seed_demo(tx: Tx) -> list[DemoAgent]:
    """Create the demo agents and team where missing (idempotent); the demo agents."""
    agents, added = await ensure_team_agents(tx, DEMO_TEAM, DEMO_AGENTS)
    for agent in added:
        logger.info("demo agent %s added to team %s", agent.name, DEMO_TEAM)
    return agents


async def seed_demo_accounts(uow: UnitOfWork) -> None:
    """Create the demo console accounts where missing (idempotent), audited as made by
    ``demo``."""
    for email, role in DEMO_ACCOUNTS:
        if not await accounts.account_exists(uow, email):
            await accounts.create_account(uow, email, DEMO_PASSWORD, role, DEMO)
            logger.info("demo console account %s (%s) added", email, role)


async def demo_agents(tx: Tx) -> list[DemoAgent]:
    """The demo agents that exist, in seeding order."""
    return await agents_by_email(tx, [email for _, email in DEMO_AGENTS])


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
