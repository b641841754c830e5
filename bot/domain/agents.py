"""Agents and teams: availability, choosing who gets a conversation, and the changes
admins make (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.domain.audit import Actor
from bot.storage.app import people_queries
from bot.storage.app.people_queries import AgentView, AlreadyStored, TeamView
from bot.storage.domain.agent_records import AgentRecord, TeamRecord
from bot.storage.domain.records import Records
from bot.storage.domain.sql_records import records_of
from bot.storage.uow import Tx, UnitOfWork

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


async def create_agent(uow: UnitOfWork, actor: Actor, fields: dict[str, Any]) -> AgentView:
    """A new agent (name, email, slack_user_id, roles, available, capacity), audited as
    ``agent.created``; :class:`ValidationFailed` when its e-mail or Slack user is taken."""
    try:
        async with uow() as tx:
            row = await people_queries.add_agent(tx, **fields)
            await audit.record(tx, actor, audit.AGENT_CREATED, str(row.id), _agent_details(row))
    except AlreadyStored as exc:
        raise ValidationFailed("email", "an agent with this e-mail or Slack user exists") from exc
    return row


async def change_agent(
    uow: UnitOfWork, actor: Actor, agent_id: int, changes: dict[str, Any]
) -> AgentView:
    """Change the given fields of the agent, audited as ``agent.changed`` (the changes)."""
    try:
        async with uow() as tx:
            row = await people_queries.update_agent(tx, agent_id, **changes)
            if row is None:
                raise NotFoundError("agent not found")
            await audit.record(tx, actor, audit.AGENT_CHANGED, str(row.id), changes)
    except AlreadyStored as exc:
        raise ValidationFailed("email", "an agent with this e-mail or Slack user exists") from exc
    return row


def _agent_details(row: AgentView) -> dict[str, Any]:
    return {
        "name": row.name,
        "email": row.email,
        "slack_user_id": row.slack_user_id,
        "roles": row.roles,
        "available": row.available,
        "capacity": row.capacity,
    }


async def create_team(
    uow: UnitOfWork, actor: Actor, name: str, slack_channel: str | None
) -> TeamView:
    """A new team, audited as ``team.created``; :class:`ValidationFailed` when the name is
    taken."""
    try:
        async with uow() as tx:
            row = await people_queries.add_team(tx, name, slack_channel)
            details = {"name": name, "slack_channel": slack_channel}
            await audit.record(tx, actor, audit.TEAM_CREATED, str(row.id), details)
    except AlreadyStored as exc:
        raise ValidationFailed("name", "a team with this name exists") from exc
    return row


async def change_team(
    uow: UnitOfWork, actor: Actor, team_id: int, changes: dict[str, str | None]
) -> TeamView:
    """Rename the team or set its Slack channel (``changes``: name, slack_channel),
    audited as ``team.changed``."""
    try:
        async with uow() as tx:
            row = await people_queries.update_team(tx, team_id, changes)
            if row is None:
                raise NotFoundError("team not found")
            await audit.record(tx, actor, audit.TEAM_CHANGED, str(team_id), dict(changes))
    except AlreadyStored as exc:
        raise ValidationFailed("name", "a team with this name exists") from exc
    return row


async def set_member(
    uow: UnitOfWork, actor: Actor, team_id: int, agent_id: int, member: bool
) -> bool:
    """Add the agent to the team (``member``) or take it out, audited as ``team.changed``
    when something changed; whether something did."""
    async with uow() as tx:
        if not await people_queries.team_exists(tx, team_id):
            raise NotFoundError("team not found")
        if not await people_queries.agent_exists(tx, agent_id):
            raise ValidationFailed("agent_id", f"no agent {agent_id}")
        if member:
            changed = await people_queries.add_team_member(tx, team_id, agent_id)
        else:
            changed = await people_queries.remove_team_member(tx, team_id, agent_id)
        if changed:
            word = "added" if member else "removed"
            await audit.record(tx, actor, audit.TEAM_CHANGED, str(team_id), {word: agent_id})
    return changed
