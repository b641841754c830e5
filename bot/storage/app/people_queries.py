"""Contacts, agents and teams as the admin API reads and changes them.

Each function takes the open transaction and hands out plain values. A new agent or team
that clashes with a stored one (same e-mail, Slack user or team name) raises
:class:`AlreadyStored`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from bot.core.errors import RelaybotError
from bot.storage.models import Agent, Contact, ContactIdentity, Conversation, Lead, Team, TeamMember
from bot.storage.record_rows import keep
from bot.storage.sql import upsert_ignore
from bot.storage.uow import Tx


class AlreadyStored(RelaybotError):
    """A row with the same unique value is stored already."""


@dataclass(frozen=True, slots=True)
class ContactView:
    id: int
    name: str | None
    email: str | None
    phone: str | None
    locale: str | None
    attributes: dict[str, Any]
    unreachable: bool
    created_at: datetime
    erased_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdentityView:
    channel: str
    external_id: str
    profile: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactConversation:
    id: int
    channel: str
    status: str
    message_count: int
    last_activity_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactLead:
    id: int
    name: str
    stage: str
    expected_amount: str | None
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AgentView:
    id: int
    name: str
    email: str | None
    slack_user_id: str | None
    roles: list[str]
    available: bool
    capacity: int


@dataclass(frozen=True, slots=True)
class TeamView:
    id: int
    name: str
    slack_channel: str | None


def _contact(row: Contact) -> ContactView:
    return ContactView(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        locale=row.locale,
        attributes=row.attributes,
        unreachable=row.unreachable,
        created_at=row.created_at,
        erased_at=row.erased_at,
    )


def _agent(row: Agent) -> AgentView:
    return AgentView(
        id=row.id,
        name=row.name,
        email=row.email,
        slack_user_id=row.slack_user_id,
        roles=row.roles,
        available=row.available,
        capacity=row.capacity,
    )


def _team(row: Team) -> TeamView:
    return TeamView(id=row.id, name=row.name, slack_channel=row.slack_channel)


async def recent_contacts(tx: Tx, *, limit: int, email: str | None = None) -> list[ContactView]:
    """The newest contacts (at most ``limit``), only those with ``email`` when given."""
    query = select(Contact).order_by(Contact.id.desc()).limit(limit)
    if email is not None:
        query = query.where(Contact.email == email)
    return [_contact(row) for row in await tx.session.scalars(query)]


async def search_contacts(tx: Tx, text: str, *, limit: int, offset: int = 0) -> list[ContactView]:
    """Contacts whose name, e-mail or phone contains ``text`` (any case; every contact
    when empty), newest first, ``limit`` of them after the first ``offset``."""
    query = select(Contact).order_by(Contact.id.desc()).limit(limit).offset(offset)
    needle = text.strip().lower()
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Contact.name, Contact.email, Contact.phone)
                )
            )
        )
    return [_contact(row) for row in await tx.session.scalars(query)]


async def find_contact(tx: Tx, contact_id: int) -> ContactView | None:
    row = await tx.session.get(Contact, contact_id)
    return _contact(row) if row is not None else None


async def identities_of(tx: Tx, contact_id: int) -> list[IdentityView]:
    """The contact's identities on each channel, oldest first."""
    rows = await tx.session.scalars(
        select(ContactIdentity)
        .where(ContactIdentity.contact_id == contact_id)
        .order_by(ContactIdentity.id)
    )
    return [IdentityView(r.channel, r.external_id, r.profile or {}, r.created_at) for r in rows]


async def conversations_of(tx: Tx, contact_id: int) -> list[ContactConversation]:
    """The contact's conversations, newest first."""
    rows = await tx.session.scalars(
        select(Conversation)
        .where(Conversation.contact_id == contact_id)
        .order_by(Conversation.id.desc())
    )
    return [
        ContactConversation(
            r.id, r.channel, r.status, r.message_count, r.last_activity_at, r.created_at
        )
        for r in rows
    ]


async def leads_of(tx: Tx, contact_id: int) -> list[ContactLead]:
    """The contact's leads, newest first."""
    rows = await tx.session.scalars(
        select(Lead).where(Lead.contact_id == contact_id).order_by(Lead.id.desc())
    )
    return [
        ContactLead(
            r.id,
            r.name,
            r.stage,
            None if r.expected_amount is None else str(r.expected_amount),
            r.currency,
            r.created_at,
        )
        for r in rows
    ]


async def all_agents(tx: Tx) -> list[AgentView]:
    """Every agent, by id."""
    return [_agent(row) for row in await tx.session.scalars(select(Agent).order_by(Agent.id))]


async def add_agent(
    tx: Tx,
    *,
    name: str,
    email: str | None,
    slack_user_id: str | None,
    roles: list[str],
    available: bool,
    capacity: int,
) -> AgentView:
    """Store a new agent; :class:`AlreadyStored` when its e-mail or Slack user is taken."""
    row = Agent(
        name=name,
        email=email,
        slack_user_id=slack_user_id,
        roles=roles,
        available=available,
        capacity=capacity,
    )
    tx.session.add(row)
    try:
        await tx.session.flush()
    except IntegrityError as exc:
        raise AlreadyStored("an agent with this e-mail or Slack user exists") from exc
    return _agent(row)


AGENT_FIELDS = frozenset({"name", "email", "slack_user_id", "roles", "available", "capacity"})


async def update_agent(
    tx: Tx,
    agent_id: int,
    *,
    available: bool | None = None,
    capacity: int | None = None,
    roles: list[str] | None = None,
    **others: Any,
) -> AgentView | None:
    """Change what is given of the agent (None: unchanged; ``others``: name, email,
    slack_user_id, set as given, None clearing e-mail and Slack user); the agent as
    changed, None when there is no such agent; :class:`AlreadyStored` when the new e-mail
    or Slack user belongs to another agent."""
    if not others.keys() <= AGENT_FIELDS:
        raise ValueError(f"not agent fields: {sorted(others.keys() - AGENT_FIELDS)}")
    row = await tx.session.get(Agent, agent_id)
    if row is None:
        return None
    if available is not None:
        row.available = available
    if capacity is not None:
        row.capacity = capacity
    if roles is not None:
        row.roles = roles
    for name, value in others.items():
        setattr(row, name, value)
    try:
        await tx.session.flush()
    except IntegrityError as exc:
        raise AlreadyStored("an agent with this e-mail or Slack user exists") from exc
    keep(tx, [row])
    return _agent(row)


async def teams_with_members(tx: Tx) -> list[tuple[TeamView, list[int]]]:
    """Every team, by id, with its members' agent ids in ascending order."""
    teams = list(await tx.session.scalars(select(Team).order_by(Team.id)))
    members = await tx.session.execute(select(TeamMember.team_id, TeamMember.agent_id))
    by_team: dict[int, list[int]] = {}
    for team_id, agent_id in members:
        by_team.setdefault(team_id, []).append(agent_id)
    return [(_team(team), sorted(by_team.get(team.id, []))) for team in teams]


async def add_team(tx: Tx, name: str, slack_channel: str | None) -> TeamView:
    """Store a new team; :class:`AlreadyStored` when the name is taken."""
    row = Team(name=name, slack_channel=slack_channel)
    tx.session.add(row)
    try:
        await tx.session.flush()
    except IntegrityError as exc:
        raise AlreadyStored("a team with this name exists") from exc
    return _team(row)


async def update_team(tx: Tx, team_id: int, changes: dict[str, str | None]) -> TeamView | None:
    """Set the team's ``name`` and/or ``slack_channel``; None when there is no such team;
    :class:`AlreadyStored` when another team has the name."""
    row = await tx.session.get(Team, team_id)
    if row is None:
        return None
    if "name" in changes and changes["name"] is not None:
        row.name = changes["name"]
    if "slack_channel" in changes:
        row.slack_channel = changes["slack_channel"]
    try:
        await tx.session.flush()
    except IntegrityError as exc:
        raise AlreadyStored("a team with this name exists") from exc
    return _team(row)


async def remove_team_member(tx: Tx, team_id: int, agent_id: int) -> bool:
    """The agent is no longer a member of the team; False when it was not one."""
    result = await tx.session.execute(
        delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.agent_id == agent_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def team_exists(tx: Tx, team_id: int) -> bool:
    return await tx.session.get(Team, team_id) is not None


async def agent_exists(tx: Tx, agent_id: int) -> bool:
    return await tx.session.get(Agent, agent_id) is not None


async def add_team_member(tx: Tx, team_id: int, agent_id: int) -> bool:
    """Make the agent a member of the team; False when it was one already."""
    return await upsert_ignore(
        tx.session, TeamMember, {"team_id": team_id, "agent_id": agent_id}, ["team_id", "agent_id"]
    )
