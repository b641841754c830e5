"""The AI's conversations in storage, handed out as plain values.

What the ``ai_agent`` assignee keeps on a conversation (its instructions and the AI's
failures in a row, in ``conversation.attributes``), the messages the model reads, and
what the AI queues: its replies, its ``ai.reply`` items, the hand-over to a person.
One :class:`AiTurn` is one transaction; what it queues is written at commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.core.errors import NotFoundError
from bot.domain import conversations
from bot.domain.replies import queue_reply
from bot.pipeline.run_store import AI_REPLY, ASKS_CUSTOMER, add_log
from bot.storage.db import Database
from bot.storage.models import Conversation, Message, OutboxItem, WorkflowRun
from bot.storage.sql import records_by_id
from bot.storage.uow import Tx, UnitOfWork
from workflows.message_parts import Choice

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


class AiConversations:
    """The repository the AI reply handler and the AI agent runtime use."""

    def __init__(self, db: Database, uow: UnitOfWork) -> None:
        self._db = db
        self._uow = uow

    async def instructions(self, conversation_ids: list[int]) -> dict[int, str | None]:
        """The ``ai_agent`` instructions of each of these conversations (None: none)."""
        async with self._db.read() as session:
            rows = await records_by_id(session, Conversation, conversation_ids)
        return {
            id_: (row.attributes or {}).get(AGENT_KEY)
            for id_, row in rows.items()
            if id_ is not None
        }

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[AiTurn]:
        """One transaction on the AI's conversations, committed when the block ends."""
        async with self._uow() as tx:
            yield AiTurn(tx)


class AiTurn:
    """What the AI reads and queues inside one transaction."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def chat(self, conversation_id: int) -> AgentChat | None:
        """The conversation as the AI agent sees it; None when it is gone."""
        row = await self._tx.session.get(Conversation, conversation_id)
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

    async def waiting_for_answer(self, conversation_id: int) -> bool:
        """Whether a workflow run waits for this customer's answer (or confirmation)."""
        found = await self._tx.session.scalar(
            select(WorkflowRun.id)
            .where(
                WorkflowRun.conversation_id == conversation_id,
                WorkflowRun.status == "waiting",
                WorkflowRun.waiting_for.in_(ASKS_CUSTOMER),
            )
            .limit(1)
        )
        return found is not None

    async def customer_text(self, message_id: int) -> str | None:
        """The text of a message the customer sent ("" without text); None for any other."""
        message = await self._tx.session.get(Message, message_id)
        if message is None or message.direction != "in":
            return None
        return message.text or ""

    async def history(
        self, conversation_id: int, sender_kinds: Collection[str], limit: int
    ) -> list[tuple[str, str]]:
        """The last ``limit`` messages by these senders as (sender kind, text), oldest first."""
        rows = await self._tx.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.sender_kind.in_(sender_kinds),
            )
            .order_by(Message.id.desc())
            .limit(limit)
        )
        return [(m.sender_kind, m.text or "") for m in reversed(list(rows))]

    async def queued(self, key: str) -> bool:
        """Whether an outbound item with this idempotency key exists."""
        found = await self._tx.session.scalar(
            select(OutboxItem.id).where(OutboxItem.idempotency_key == key)
        )
        return found is not None

    def ask_ai(self, conversation_id: int, job: dict[str, Any], *, key: str) -> None:
        """Queue an ``ai.reply`` item (``job`` is its payload) for this conversation."""
        self._tx.enqueue(
            AI_REPLY,
            job,
            destination=f"ai:{conversation_id}",
            key=key,
            conversation_id=conversation_id,
        )

    async def reply(
        self,
        conversation_id: int,
        text: str,
        *,
        choices: list[Choice],
        run_id: int | None,
        step_id: str | None,
        key: str,
    ) -> None:
        """Store the AI's reply and queue it for the conversation's channel."""
        conversation = await self._conversation(conversation_id)
        await queue_reply(
            self._tx,
            conversation,
            text,
            sender_kind="bot",
            choices=choices,
            run_id=run_id,
            step_id=step_id,
            key=key,
        )

    async def count_failures(self, conversation_id: int, failures: int) -> None:
        """Keep how many times in a row the AI failed here."""
        conversation = await self._conversation(conversation_id)
        conversation.attributes = {**(conversation.attributes or {}), FAILURES_KEY: failures}

    async def hand_over(self, conversation_id: int, text: str, *, tag: str) -> None:
        """Stop the AI here, tag the conversation (by ``ai_agent``) and tell the customer."""
        conversation = await self._conversation(conversation_id)
        attributes = dict(conversation.attributes or {})
        attributes.pop(AGENT_KEY, None)
        attributes.pop(FAILURES_KEY, None)
        conversation.attributes = attributes
        await conversations.add_tag(self._tx, conversation.id, tag, by="ai_agent")
        await queue_reply(self._tx, conversation, text, sender_kind="bot")

    async def log_call(
        self, run_id: int, step_id: str | None, message: str, data: dict[str, Any]
    ) -> None:
        """A ``call`` line in the run's log; nothing when the run is gone."""
        workflow_id = await self._tx.session.scalar(
            select(WorkflowRun.workflow_id).where(WorkflowRun.id == run_id)
        )
        if workflow_id is None:
            return
        add_log(
            self._tx,
            run_id=run_id,
            workflow_id=workflow_id,
            kind="call",
            step_id=step_id,
            message=message,
            data=data,
        )

    async def _conversation(self, conversation_id: int) -> Conversation:
        row = await self._tx.session.get(Conversation, conversation_id)
        if row is None:
            raise NotFoundError(f"conversation {conversation_id} not found")
        return row
