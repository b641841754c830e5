"""Small inline workflows for runner tests: write YAML to a folder, start the harness."""

from __future__ import annotations

import itertools
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.domain import conversations, leads
from bot.pipeline.services import Services
from bot.storage.models import Agent, OutboxItem, RunLog, Team, TeamMember
from tests.harness import Harness

_numbers = itertools.count(1)


def write_flows(folder: Path, *documents: str) -> list[Path]:
    paths = []
    for document in documents:
        path = folder / f"flow-{next(_numbers)}.yaml"
        path.write_text(textwrap.dedent(document))
        paths.append(path)
    return paths


async def start(services: Services, folder: Path, *documents: str) -> Harness:
    return await Harness.start(services, *write_flows(folder, *documents))


async def conversation_id(bot: Harness) -> int:
    (run, *_) = await bot.runs()
    assert run.conversation_id is not None
    return run.conversation_id


def messages(logs: list[RunLog], kind: str | None = None) -> list[str]:
    return [log.message for log in logs if kind is None or log.kind == kind]


def exits(logs: list[RunLog]) -> list[tuple[str | None, Any]]:
    return [(log.step_id, log.data.get("exit")) for log in logs if log.kind == "step"]


async def add_agent(
    bot: Harness,
    name: str,
    *,
    team: str | None = None,
    available: bool = True,
    capacity: int = 10,
    slack_user_id: str | None = None,
    roles: list[str] | None = None,
) -> int:
    async with bot.services.uow() as tx:
        agent = Agent(
            name=name,
            roles=roles or [],
            available=available,
            capacity=capacity,
            slack_user_id=slack_user_id,
            email=f"{name.lower()}@example.com",
        )
        tx.session.add(agent)
        await tx.session.flush()
        if team is not None:
            row = await tx.session.scalar(select(Team).where(Team.name == team))
            if row is None:
                row = Team(name=team)
                tx.session.add(row)
                await tx.session.flush()
            tx.session.add(TeamMember(team_id=row.id, agent_id=agent.id))
        return agent.id


async def add_lead(
    bot: Harness,
    *,
    conversation: int | None = None,
    amount: str | None = None,
    stage: str | None = None,
) -> int:
    async with bot.services.uow() as tx:
        lead = await leads.create_lead(
            tx,
            bot.services.pipeline,
            name="Acme deal",
            stage=stage,
            conversation_id=conversation,
            expected_amount=Decimal(amount) if amount is not None else None,
        )
        lead_id = lead.id
    await bot.settle()
    return lead_id


async def change_stage(bot: Harness, lead_id: int, stage: str) -> None:
    async with bot.services.uow() as tx:
        await leads.change_stage(tx, bot.services.pipeline, lead_id, stage, by="agent")
    await bot.settle()


async def tag(bot: Harness, conversation: int, name: str) -> None:
    async with bot.services.uow() as tx:
        await conversations.add_tag(tx, conversation, name, by="agent")
    await bot.settle()


async def outbox(bot: Harness, kind: str) -> list[OutboxItem]:
    async with bot.services.db.session() as session:
        rows = await session.scalars(
            select(OutboxItem).where(OutboxItem.kind == kind).order_by(OutboxItem.id)
        )
        return list(rows)
