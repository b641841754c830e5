"""The AI's conversations in storage: what the ``ai_agent`` assignee keeps on a
conversation (its instructions and the AI's failures in a row, in
``conversation.attributes``) and the messages the model reads, as plain values."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from bot.core.errors import NotFoundError
from bot.storage.db import Database
from bot.storage.models import Conversation, Message, OutboxItem, WorkflowRun
from bot.storage.sql import records_by_id
from bot.storage.uow import Tx

AGENT_KEY = "ai_agent"
"""The ``ai_agent`` assignee's instructions in ``conversation.attributes``."""
FAILURES_KEY = "ai_agent_failures"
"""The AI's failures in a row in ``conversation.attributes``."""


@dataclass(frozen=True, slots=True)
class AgentChat:
    """A conversation as the AI agent sees it."""

    id: int
    instructions: str | None
    """The ``ai_agent`` assignee's instructions; None when the AI does not answer here."""
    person_assigned: bool
    failures: int
    """How many times in a row the AI failed to answer."""


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where a reply to a conversation goes (what :func:`bot.domain.replies.queue_reply` needs)."""

    id: int
    channel: str
    external_id: str
    contact_id: int


async def ai_instructions(db: Database, conversation_ids: list[int]) -> dict[int, str | None]:
    """The ``ai_agent`` instructions of each of these conversations (None: none)."""
    async with db.read() as session:
        rows = await records_by_id(session, Conversation, conversation_ids)
    return {
        id_: (row.attributes or {}).get(AGENT_KEY) for id_, row in rows.items() if id_ is not None
    }


async def agent_chat(tx: Tx, conversation_id: int) -> AgentChat | None:
    """The conversation as the AI agent sees it; None when it is gone."""
    row = await tx.session.get(Conversation, conversation_id)
    if row is None:
        return None
    attributes = row.attributes or {}
    instructions = attributes.get(AGENT_KEY)
    return AgentChat(
        id=row.id,
        instructions=str(instructions) if instructions else None,
        person_assigned=row.assignee_id is not None,
        failures=int(attributes.get(FAILURES_KEY, 0)),
    )


async def run_waits_for(tx: Tx, conversation_id: int, waiting_for: Collection[str]) -> bool:
    """Whether a run of this conversation waits for one of ``waiting_for``."""
    found = await tx.session.scalar(
        select(WorkflowRun.id)
        .where(
            WorkflowRun.conversation_id == conversation_id,
            WorkflowRun.status == "waiting",
            WorkflowRun.waiting_for.in_(waiting_for),
        )
        .limit(1)
    )
    return found is not None


async def customer_text(tx: Tx, message_id: int) -> str | None:
    """The text of a message the customer sent ("" without text); None for any other."""
    message = await tx.session.get(Message, message_id)
    if message is None or message.direction != "in":
        return None
    return message.text or ""


async def recent_messages(
    tx: Tx, conversation_id: int, sender_kinds: Collection[str], limit: int
) -> list[tuple[str, str]]:
    """The last ``limit`` messages by these senders as (sender kind, text), oldest first."""
    rows = await tx.session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender_kind.in_(sender_kinds),
            Message.direction.in_(("in", "out")),  # not agents' internal notes
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [(m.sender_kind, m.text or "") for m in reversed(list(rows))]


async def outbox_key_taken(tx: Tx, key: str) -> bool:
    """Whether an outbound item with this idempotency key exists."""
    found = await tx.session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key))
    return found is not None


async def reply_target(tx: Tx, conversation_id: int) -> ReplyTarget:
    """Where replies to the conversation go; NotFoundError when it is gone."""
    return _target(await _conversation(tx, conversation_id))


async def set_ai_failures(tx: Tx, conversation_id: int, failures: int) -> None:
    """Keep how many times in a row the AI failed here."""
    conversation = await _conversation(tx, conversation_id)
    conversation.attributes = {**(conversation.attributes or {}), FAILURES_KEY: failures}


async def stop_ai(tx: Tx, conversation_id: int) -> ReplyTarget:
    """The AI no longer answers here (its instructions and failures are dropped)."""
    conversation = await _conversation(tx, conversation_id)
    attributes = dict(conversation.attributes or {})
    attributes.pop(AGENT_KEY, None)
    attributes.pop(FAILURES_KEY, None)
    conversation.attributes = attributes
    return _target(conversation)


async def _conversation(tx: Tx, conversation_id: int) -> Conversation:
    row = await tx.session.get(Conversation, conversation_id)
    if row is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    return row


def _target(conversation: Conversation) -> ReplyTarget:
    return ReplyTarget(
        id=conversation.id,
        channel=conversation.channel,
        external_id=conversation.external_id,
        contact_id=conversation.contact_id,
    )
