"""What the agents' console (and the Slack threads it keeps) reads and writes: agents by
their Slack id, a conversation, the conversations of the queue and of an agent, a message
and a contact as a thread shows them, internal notes. Everything is handed out as plain
values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import select

from bot.core.console_views import ConversationStatus
from bot.storage.domain.conversation_summary_records import ContactName
from bot.storage.domain.thread_records import thread_channel
from bot.storage.models import Agent, Contact, Conversation, Message
from bot.storage.record_rows import keep
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


@dataclass(frozen=True, slots=True)
class ConsoleConversation:
    """A conversation as the console summarizes, answers and threads it.

    ``thread_channel`` is the Slack channel of its thread (None: no thread yet);
    ``offered_to`` the agent a workflow offered it to, when one did.
    """

    id: int
    contact_id: int
    channel: str
    external_id: str
    status: str
    assignee_id: int | None
    team_id: int | None
    thread_channel: str | None
    offered_to: Any


def console_conversation(row: Conversation) -> ConsoleConversation:
    attributes = row.attributes or {}
    return ConsoleConversation(
        id=row.id,
        contact_id=row.contact_id,
        channel=row.channel,
        external_id=row.external_id,
        status=row.status,
        assignee_id=row.assignee_id,
        team_id=row.team_id,
        thread_channel=thread_channel(attributes),
        offered_to=attributes.get("offered_to"),
    )


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A stored message as a thread shows it (``source``: where an agent wrote it)."""

    id: int
    conversation_id: int
    direction: str
    sender_kind: str
    agent_id: int | None
    kind: str
    text: str | None
    payload: str | None
    source: str | None


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


async def read_ahead(tx: Tx, conversation_ids: Iterable[int], message_ids: Iterable[int]) -> None:
    """Load these conversations, their contacts and these messages into the transaction,
    one query per table: the look-ups by id that follow (:func:`conversation`,
    :func:`thread_message`, :func:`contact_name`) need no query of their own."""
    conversations = await _load(tx, Conversation, conversation_ids)
    await _load(tx, Contact, (row.contact_id for row in conversations))
    await _load(tx, Message, message_ids)


async def _load(tx: Tx, model: Any, ids: Iterable[int]) -> list[Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = list(await tx.session.scalars(select(model).where(model.id.in_(wanted))))
    keep(tx, rows)
    return rows


async def conversation(tx: Tx, conversation_id: int) -> ConsoleConversation | None:
    """The conversation as it stands in the transaction, changes made in it included.

    Read by id: once the transaction has read the conversation (a locked read, an
    assignment), it is answered from the session without a query. The row is kept for
    the rest of the transaction, so a later look-up by id is free as well.
    """
    row = await tx.session.get(Conversation, conversation_id)
    if row is None:
        return None
    keep(tx, [row])
    return console_conversation(row)


async def thread_message(tx: Tx, message_id: int) -> ThreadMessage | None:
    message = await tx.session.get(Message, message_id)
    if message is None:
        return None
    source = (message.extra or {}).get("source")
    return ThreadMessage(
        id=message.id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        sender_kind=message.sender_kind,
        agent_id=message.agent_id,
        kind=message.kind,
        text=message.text,
        payload=message.payload,
        source=None if source is None else str(source),
    )


async def contact_name(tx: Tx, contact_id: int) -> ContactName | None:
    """What the contact is called by; None when there is no such contact."""
    contact = await tx.session.get(Contact, contact_id)
    if contact is None:
        return None
    return ContactName(contact.id, contact.name, contact.email, contact.phone)


async def unassigned_open(tx: Tx, limit: int) -> list[ConsoleConversation]:
    """Open conversations nobody holds, oldest first."""
    query = (
        select(Conversation)
        .where(Conversation.status == "open", Conversation.assignee_id.is_(None))
        .order_by(Conversation.id)
        .limit(limit)
    )
    return [console_conversation(row) for row in await tx.session.scalars(query)]


async def held_by(tx: Tx, agent_id: int, limit: int) -> list[ConsoleConversation]:
    """The agent's conversations that are not closed, most recently active first."""
    query = (
        select(Conversation)
        .where(Conversation.assignee_id == agent_id, Conversation.status.in_(NOT_CLOSED))
        .order_by(Conversation.last_activity_at.desc())
        .limit(limit)
    )
    return [console_conversation(row) for row in await tx.session.scalars(query)]


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
