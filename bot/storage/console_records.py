"""What the agents' console (and the Slack threads it keeps) reads and writes: agents by
their Slack id, the conversations of the queue and of an agent, internal notes.

Conversation, message and contact rows are still handed out as ORM rows where the
console summarizes or names them (:mod:`bot.domain.conversation_summaries`,
:mod:`bot.domain.message_labels`, :mod:`bot.domain.contact_names` read rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from sqlalchemy import select

from bot.core.console_views import ConversationStatus
from bot.storage.models import Agent, Contact, Conversation, Message
from bot.storage.uow import Tx

NOT_CLOSED = tuple(status for status in get_args(ConversationStatus) if status != "closed")
"""Listed by name, not as ``!= 'closed'``: an equality leads into the (status, assignee) index."""


@dataclass(frozen=True)
class ConsoleAgent:
    """An agent as the console shows it."""

    id: int
    name: str
    slack_user_id: str | None
    email: str | None
    available: bool


_KEPT = "console_records.kept"
"""``Session.info`` key: the agent rows read for the transaction, held until it ends."""


def _console_agent(tx: Tx, agent: Agent) -> ConsoleAgent:
    """``agent`` as a plain value. The row is held for the rest of the transaction: the
    session's identity map holds unchanged rows only weakly, and what follows in the
    transaction (an assignment, a summary) finds the agent there by id without a query."""
    tx.session.info.setdefault(_KEPT, []).append(agent)
    return ConsoleAgent(agent.id, agent.name, agent.slack_user_id, agent.email, agent.available)


async def agent_with_slack_id(tx: Tx, slack_user_id: str) -> ConsoleAgent | None:
    agent = await tx.session.scalar(select(Agent).where(Agent.slack_user_id == slack_user_id))
    return None if agent is None else _console_agent(tx, agent)


async def link_slack_user(tx: Tx, slack_user_id: str, email: str | None) -> ConsoleAgent | None:
    """The agent with ``slack_user_id``; else the agent with ``email`` and no Slack id
    yet, which is given ``slack_user_id``; else None."""
    agent = await tx.session.scalar(select(Agent).where(Agent.slack_user_id == slack_user_id))
    if agent is None and email:
        agent = await tx.session.scalar(
            select(Agent).where(Agent.email == email, Agent.slack_user_id.is_(None))
        )
        if agent is not None:
            agent.slack_user_id = slack_user_id
    return None if agent is None else _console_agent(tx, agent)


async def agent_name(tx: Tx, agent_id: int) -> str | None:
    """The agent's name; None when there is no such agent."""
    agent = await tx.session.get(Agent, agent_id)
    return None if agent is None else agent.name


async def agent_slack_id(tx: Tx, agent_id: int) -> str | None:
    """The agent's Slack id; None when there is none or no such agent."""
    agent = await tx.session.get(Agent, agent_id)
    return None if agent is None else agent.slack_user_id


async def conversation_row(tx: Tx, conversation_id: int) -> Conversation | None:
    return await tx.session.get(Conversation, conversation_id)


async def message_row(tx: Tx, message_id: int) -> Message | None:
    return await tx.session.get(Message, message_id)


async def contact_row(tx: Tx, contact_id: int) -> Contact | None:
    return await tx.session.get(Contact, contact_id)


async def unassigned_open(tx: Tx, limit: int) -> list[Conversation]:
    """Open conversations nobody holds, oldest first."""
    query = (
        select(Conversation)
        .where(Conversation.status == "open", Conversation.assignee_id.is_(None))
        .order_by(Conversation.id)
        .limit(limit)
    )
    return list(await tx.session.scalars(query))


async def held_by(tx: Tx, agent_id: int, limit: int) -> list[Conversation]:
    """The agent's conversations that are not closed, most recently active first."""
    query = (
        select(Conversation)
        .where(Conversation.assignee_id == agent_id, Conversation.status.in_(NOT_CLOSED))
        .order_by(Conversation.last_activity_at.desc())
        .limit(limit)
    )
    return list(await tx.session.scalars(query))


def add_note(tx: Tx, conversation_id: int, agent_id: int, text: str, *, source: str) -> None:
    """An agent's internal note on the conversation (written at the transaction's flush)."""
    tx.session.add(
        Message(
            conversation_id=conversation_id,
            direction="note",
            sender_kind="agent",
            agent_id=agent_id,
            kind="text",
            text=text,
            media=[],
            extra={"source": source},
            delivery_status="internal",
            created_at=tx.now,
        )
    )
