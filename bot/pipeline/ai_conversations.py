"""The AI's conversations, handed out as plain values.

What the ``ai_agent`` assignee keeps on a conversation (its instructions and the AI's
failures in a row, in ``conversation.attributes``), the messages the model reads, and
what the AI queues: its replies, its ``ai.reply`` items, the hand-over to a person.
One :class:`AiTurn` is one transaction; what it queues is written at commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

from bot.domain import conversations
from bot.domain.replies import queue_reply
from bot.pipeline.run_store import AI_REPLY, ASKS_CUSTOMER, add_log
from bot.storage.db import Database
from bot.storage.domain.run_log_records import workflow_of_run
from bot.storage.pipeline import ai_conversation_records as records
from bot.storage.pipeline.ai_conversation_records import AgentChat
from bot.storage.uow import Tx, UnitOfWork
from workflows.message_parts import Choice


class AiConversations:
    """The repository the AI reply handler and the AI agent runtime use."""

    def __init__(self, db: Database, uow: UnitOfWork) -> None:
        self._db = db
        self._uow = uow

    async def instructions(self, conversation_ids: list[int]) -> dict[int, str | None]:
        """The ``ai_agent`` instructions of each of these conversations (None: none)."""
        return await records.ai_instructions(self._db, conversation_ids)

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
        return await records.agent_chat(self._tx, conversation_id)

    async def waiting_for_answer(self, conversation_id: int) -> bool:
        """Whether a workflow run waits for this customer's answer (or confirmation)."""
        return await records.run_waits_for(self._tx, conversation_id, ASKS_CUSTOMER)

    async def customer_text(self, message_id: int) -> str | None:
        """The text of a message the customer sent ("" without text); None for any other."""
        return await records.customer_text(self._tx, message_id)

    async def history(
        self, conversation_id: int, sender_kinds: Collection[str], limit: int
    ) -> list[tuple[str, str]]:
        """The last ``limit`` messages by these senders as (sender kind, text), oldest first."""
        return await records.recent_messages(self._tx, conversation_id, sender_kinds, limit)

    async def queued(self, key: str) -> bool:
        """Whether an outbound item with this idempotency key exists."""
        return await records.outbox_key_taken(self._tx, key)

    def ask_ai(self, conversation_id: int, job: dict[str, Any], *, key: str) -> None:
        """Queue an ``ai.reply`` item (``job`` is its payload) for this conversation."""
        self._tx.writes.enqueue(
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
        target = await records.reply_target(self._tx, conversation_id)
        await queue_reply(
            self._tx,
            target,
            text,
            sender_kind="bot",
            choices=choices,
            run_id=run_id,
            step_id=step_id,
            key=key,
        )

    async def count_failures(self, conversation_id: int, failures: int) -> None:
        """Keep how many times in a row the AI failed here."""
        await records.set_ai_failures(self._tx, conversation_id, failures)

    async def hand_over(self, conversation_id: int, text: str, *, tag: str) -> None:
        """Stop the AI here, tag the conversation (by ``ai_agent``) and tell the customer."""
        target = await records.stop_ai(self._tx, conversation_id)
        await conversations.add_tag(self._tx, target.id, tag, by="ai_agent")
        await queue_reply(self._tx, target, text, sender_kind="bot")

    async def log_call(
        self, run_id: int, step_id: str | None, message: str, data: dict[str, Any]
    ) -> None:
        """A ``call`` line in the run's log; nothing when the run is gone."""
        workflow_id = await workflow_of_run(self._tx, run_id)
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
