"""The changes a run's domain calls make that the domain services do not: a lead's tags, a
contact's fields, a conversation handed to an AI agent or offered to an agent, and the
agent a step names.

Each change is made on the session's own row in the run's transaction and written when
it flushes, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from bot.storage.models import Agent, Contact, Conversation, Lead
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class NamedAgent:
    """An agent a step or a notification names."""

    id: int
    name: str
    email: str | None
    slack_user_id: str | None
    available: bool


async def agent_by_ref(tx: Tx, ref: str) -> NamedAgent | None:
    """The first agent whose e-mail, Slack user id or name is ``ref`` (or id, when digits)."""
    conditions = [Agent.email == ref, Agent.slack_user_id == ref, Agent.name == ref]
    if ref.isdigit():
        conditions.append(Agent.id == int(ref))
    agent = await tx.session.scalar(select(Agent).where(or_(*conditions)).limit(1))
    if agent is None:
        return None
    return NamedAgent(agent.id, agent.name, agent.email, agent.slack_user_id, agent.available)


async def tag_lead(tx: Tx, lead_id: int, tag: str, *, add: bool) -> bool | None:
    """Add ``tag`` to the lead's tags (remove it, unless ``add``); whether they changed,
    None when there is no such lead."""
    lead = await tx.session.get(Lead, lead_id)
    if lead is None:
        return None
    tags = list(lead.tags or [])
    if add and tag not in tags:
        lead.tags = [*tags, tag]
        return True
    if not add and tag in tags:
        lead.tags = [t for t in tags if t != tag]
        return True
    return False


async def set_contact_field(
    tx: Tx, contact_id: int, field: str, value: Any, *, column: bool
) -> None:
    """Set the contact's ``field``: its column (as text) when ``column``, else one of its
    attributes."""
    contact = await tx.session.get(Contact, contact_id)
    assert contact is not None
    if column:
        setattr(contact, field, None if value is None else str(value))
    else:
        contact.attributes = {**(contact.attributes or {}), field: value}


class ConversationChange:
    """A conversation loaded to change in the open transaction (kept loaded while held)."""

    __slots__ = ("_row",)

    def __init__(self, row: Conversation) -> None:
        self._row = row

    def hand_to_ai(self, ai_agent: str) -> None:
        """The AI agent ``ai_agent`` answers the conversation from now on."""
        self._row.attributes = {**(self._row.attributes or {}), "ai_agent": ai_agent}

    def offer(self, agent_id: int, team_id: int | None) -> None:
        """The conversation is offered to ``agent_id`` (for ``team_id``, when given)."""
        self._row.attributes = {
            **(self._row.attributes or {}),
            "offered_to": agent_id,
            "offered_team": team_id,
        }
        if team_id is not None:
            self._row.team_id = team_id


async def conversation_to_change(tx: Tx, conversation_id: int) -> ConversationChange | None:
    """The conversation, loaded to change; None when there is none."""
    row = await tx.session.get(Conversation, conversation_id)
    return None if row is None else ConversationChange(row)
