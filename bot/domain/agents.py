"""Agents and teams: availability, and choosing who gets a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.core.errors import NotFoundError, ValidationFailed
from bot.storage.domain.agent_records import AgentRecord, TeamRecord
from bot.storage.domain.records import Records
from bot.storage.domain.sql_records import records_of
from bot.storage.uow import Tx

Strategy = Literal["round_robin", "least_busy"]
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


async def set_availability(source: Tx | Records, agent_id: int, available: bool) -> None:
    if not await records_of(source).set_agent_available(agent_id, available):
        raise NotFoundError(f"agent {agent_id} not found")


async def open_load(source: Tx | Records) -> dict[int, int]:
    """Open conversations per agent."""
    return await records_of(source).open_load()


async def team_by_name(source: Tx | Records, name: str) -> TeamRecord | None:
    return await records_of(source).team_named(name)


async def select_agent(
    source: Tx | Records, *, strategy: Strategy = "round_robin", team_id: int | None = None
) -> AgentRecord | None:
    """Pick an available agent with spare capacity (in ``team_id`` if given), or None.

    round_robin: the one assigned longest ago; least_busy: the fewest open conversations
    (ties broken round-robin).
    """
    if strategy not in ("round_robin", "least_busy"):
        raise ValidationFailed("strategy", f"unknown strategy {strategy!r}")
    records = records_of(source)
    agents = await records.available_agents(team_id)
    load = await records.open_load()
    candidates = [a for a in agents if load.get(a.id, 0) < a.capacity]
    if not candidates:
        return None

    def recency(agent: AgentRecord) -> tuple[datetime, int]:
        return (agent.last_assigned_at or EPOCH, agent.id)

    if strategy == "least_busy":
        return min(candidates, key=lambda a: (load.get(a.id, 0), *recency(a)))
    return min(candidates, key=recency)
