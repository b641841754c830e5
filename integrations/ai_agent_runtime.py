"""The ``ai_agent`` assignee at run time: answer each customer message with the AI.

A workflow's ``assign_to: {ai_agent: "<instructions>"}`` stores the instructions in
``conversation.attributes["ai_agent"]``. While they are there and no person is
assigned, every ``message.received`` queues an ``ai.reply`` item (``agent: true``).
The customer asking for a person, or the AI failing :data:`MAX_FAILURES` times in a
row, hands over: the AI stops, the conversation is tagged ``needs-human`` (a
``tag.added`` event workflows can react to) and the customer is told.

No reply is queued while a workflow run waits for this customer's answer: the
answer belongs to the question.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot import conversations
from bot.events import DomainEvent
from bot.models import Conversation, Message, OutboxItem, WorkflowRun
from bot.read_batch import ReadBatch
from bot.replies import queue_reply
from bot.run_store import AI_REPLY, ASKS_CUSTOMER
from bot.services import Services
from bot.sql import records_by_id
from bot.uow import Tx
from integrations.ai_agent import should_hand_over
from workflows.event_names import EventType

logger = logging.getLogger(__name__)

AGENT_KEY = "ai_agent"
FAILURES_KEY = "ai_agent_failures"
MAX_FAILURES = 2
HANDOVER_TAG = "needs-human"
HANDOVER_TEXT = "I'll bring in a colleague who can help you further. Someone will answer here soon."
FALLBACK_TEXT = "Sorry, I couldn't answer that just now."


async def hand_over(tx: Tx, conversation: Conversation, text: str, *, reason: str) -> None:
    """Stop the AI on this conversation, tag it ``needs-human`` and tell the customer."""
    attributes = dict(conversation.attributes or {})
    attributes.pop(AGENT_KEY, None)
    attributes.pop(FAILURES_KEY, None)
    conversation.attributes = attributes
    await conversations.add_tag(tx, conversation.id, HANDOVER_TAG, by="ai_agent")
    await queue_reply(tx, conversation, text, sender_kind="bot")
    logger.info("AI agent handed over: %s", reason, extra={"conversation_id": conversation.id})


async def waiting_for_answer(tx: Tx, conversation_id: int) -> bool:
    """Whether a workflow run is waiting for this customer's answer (or confirmation)."""
    found = await tx.session.scalar(
        select(WorkflowRun.id)
        .where(
            WorkflowRun.conversation_id == conversation_id,
            WorkflowRun.status == "waiting",
            WorkflowRun.waiting_for.in_(ASKS_CUSTOMER),
        )
        .limit(1)
    )
    return found is not None


class AiAgentRuntime:
    """Event subscriber; subscribe it before the workflow runner so it sees runs as they were."""

    def __init__(
        self,
        services: Services,
        *,
        ai_configured: bool,
        fallback: str = FALLBACK_TEXT,
        handover_text: str = HANDOVER_TEXT,
    ) -> None:
        self.services = services
        self.ai_configured = ai_configured
        self.fallback = fallback
        self.handover_text = handover_text
        # most chats have no AI agent: a burst of customer messages asks that once
        self._agent_of: ReadBatch[int, str | None] = ReadBatch(self._agents, lambda: None)

    async def __call__(self, event: DomainEvent) -> None:
        if event.type != EventType.MESSAGE_RECEIVED:
            return
        if event.conversation_id is None or event.message_id is None:
            return
        if not await self._agent_of.get(event.conversation_id):
            return
        async with self.services.uow() as tx:
            await self._turn(tx, event.conversation_id, event.message_id)

    async def _agents(self, conversation_ids: list[int]) -> dict[int, str | None]:
        """The AI agent's instructions of each conversation that has one."""
        async with self.services.db.read() as session:
            rows = await records_by_id(session, Conversation, conversation_ids)
        return {
            id_: (row.attributes or {}).get(AGENT_KEY)
            for id_, row in rows.items()
            if id_ is not None
        }

    async def _turn(self, tx: Tx, conversation_id: int, message_id: int) -> None:
        conversation = await tx.session.get(Conversation, conversation_id)
        if conversation is None or conversation.assignee_id is not None:
            return
        instructions = (conversation.attributes or {}).get(AGENT_KEY)
        if not instructions or await waiting_for_answer(tx, conversation_id):
            return
        message = await tx.session.get(Message, message_id)
        if message is None or message.direction != "in":
            return
        if should_hand_over(message.text):
            await hand_over(
                tx, conversation, self.handover_text, reason="the customer asked for a person"
            )
            return
        if not self.ai_configured:
            await hand_over(tx, conversation, self.handover_text, reason="AI is not configured")
            return
        key = f"ai-agent:{message_id}"
        if await tx.session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)):
            return  # this event was delivered before
        tx.enqueue(
            AI_REPLY,
            {
                "conversation_id": conversation_id,
                "instructions": str(instructions),
                "fallback": self.fallback,
                "agent": True,
                "handover_text": self.handover_text,
            },
            destination=f"ai:{conversation_id}",
            key=key,
            conversation_id=conversation_id,
        )
