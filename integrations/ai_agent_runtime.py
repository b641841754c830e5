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

from bot.core.read_batch import ReadBatch
from bot.pipeline.ai_conversations import AiConversations, AiTurn
from bot.pipeline.events import DomainEvent
from integrations.ai_agent import should_hand_over
from workflows.event_names import EventType

logger = logging.getLogger(__name__)

MAX_FAILURES = 2
HANDOVER_TAG = "needs-human"
HANDOVER_TEXT = "I'll bring in a colleague who can help you further. Someone will answer here soon."
FALLBACK_TEXT = "Sorry, I couldn't answer that just now."


async def hand_over(turn: AiTurn, conversation_id: int, text: str, *, reason: str) -> None:
    """Stop the AI on this conversation, tag it ``needs-human`` and tell the customer."""
    await turn.hand_over(conversation_id, text, tag=HANDOVER_TAG)
    logger.info("AI agent handed over: %s", reason, extra={"conversation_id": conversation_id})


class AiAgentRuntime:
    """Event subscriber; subscribe it before the workflow runner so it sees runs as they were."""

    def __init__(
        self,
        chats: AiConversations,
        *,
        ai_configured: bool,
        fallback: str = FALLBACK_TEXT,
        handover_text: str = HANDOVER_TEXT,
    ) -> None:
        self.chats = chats
        self.ai_configured = ai_configured
        self.fallback = fallback
        self.handover_text = handover_text
        # most chats have no AI agent: a burst of customer messages asks that once
        self._agent_of: ReadBatch[int, str | None] = ReadBatch(chats.instructions, lambda: None)

    async def __call__(self, event: DomainEvent) -> None:
        if event.type != EventType.MESSAGE_RECEIVED:
            return
        if event.conversation_id is None or event.message_id is None:
            return
        if not await self._agent_of.get(event.conversation_id):
            return
        async with self.chats.turn() as turn:
            await self._turn(turn, event.conversation_id, event.message_id)

    async def _turn(self, turn: AiTurn, conversation_id: int, message_id: int) -> None:
        chat = await turn.chat(conversation_id)
        if chat is None or chat.person_assigned:
            return
        if not chat.instructions or await turn.waiting_for_answer(conversation_id):
            return
        text = await turn.customer_text(message_id)
        if text is None:
            return
        if should_hand_over(text):
            await hand_over(
                turn, conversation_id, self.handover_text, reason="the customer asked for a person"
            )
            return
        if not self.ai_configured:
            await hand_over(
                turn, conversation_id, self.handover_text, reason="AI is not configured"
            )
            return
        key = f"ai-agent:{message_id}"
        if await turn.queued(key):
            return  # this event was delivered before
        turn.ask_ai(
            conversation_id,
            {
                "conversation_id": conversation_id,
                "instructions": chat.instructions,
                "fallback": self.fallback,
                "agent": True,
                "handover_text": self.handover_text,
            },
            key=key,
        )
