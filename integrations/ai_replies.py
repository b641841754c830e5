"""The ``ai.reply`` outbox handler: write the reply at delivery time, then queue it.

The reply is queued with :func:`bot.domain.replies.queue_reply` keyed by the delivery's own
key, in one transaction. A retry of the same delivery finds that key and stops, so the
model is never asked twice for one item. Without AI settings the step's fallback text
is sent at once.

Items queued for the ``ai_agent`` assignee (``agent: true``) also count failures in a
row; at :data:`MAX_FAILURES` the conversation is handed over to a person.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core.errors import PermanentDeliveryError, UnavailableError
from bot.pipeline.ai_conversations import AiConversations, AiTurn
from bot.storage.pipeline.outbox_items import Delivery
from integrations.ai import AIProvider, AIReply, generate_reply
from integrations.ai_agent_runtime import MAX_FAILURES, hand_over
from integrations.deliveries import AiReplyJob, parse_job
from workflows.message_parts import Choice

logger = logging.getLogger(__name__)

ROLES = {"customer": "user", "bot": "assistant", "agent": "assistant"}


async def load_history(turn: AiTurn, conversation_id: int, limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` customer, bot and agent messages, oldest first."""
    lines = await turn.history(conversation_id, ROLES, limit)
    return [{"role": ROLES[kind], "text": text} for kind, text in lines]


class AiReplyHandler:
    """Outbox handler for kind ``ai.reply``; ``provider`` is None when AI is not configured."""

    def __init__(self, chats: AiConversations, provider: AIProvider | None) -> None:
        self.chats = chats
        self.provider = provider

    async def __call__(self, delivery: Delivery) -> None:
        payload = {"conversation_id": delivery.conversation_id, **delivery.payload}
        job = parse_job(AiReplyJob, payload)
        key = f"{delivery.idempotency_key}:reply"
        async with self.chats.turn() as turn:
            if await turn.queued(key):
                return
            history = await load_history(turn, job.conversation_id, job.history_limit)
        reply = await self._generate(job, history)
        if reply.used_fallback and not reply.text and not job.agent:
            if self.provider is None:
                raise PermanentDeliveryError(f"no AI reply and no fallback text: {reply.reason}")
            raise UnavailableError(f"no AI reply and no fallback text: {reply.reason}")
        async with self.chats.turn() as turn:
            if await turn.chat(job.conversation_id) is None:
                raise PermanentDeliveryError(f"conversation {job.conversation_id} is gone")
            await self._log(turn, delivery, reply)
            if job.agent and not await self._agent_may_answer(turn, reply, job):
                return
            await turn.reply(
                job.conversation_id,
                reply.text,
                choices=[Choice.model_validate(c) for c in job.choices],
                run_id=delivery.run_id,
                step_id=delivery.step_id,
                key=key,
            )

    async def _generate(self, job: AiReplyJob, history: list[dict[str, Any]]) -> AIReply:
        if self.provider is None:
            return AIReply(job.fallback or "", True, "AI is not configured (AI_API_BASE_URL)")
        return await generate_reply(self.provider, job.instructions, history, job.fallback or "")

    async def _agent_may_answer(self, turn: AiTurn, reply: AIReply, job: AiReplyJob) -> bool:
        """Count failures in a row; hand over at the limit. False when nothing is to be sent."""
        chat = await turn.chat(job.conversation_id)
        if chat is None or not chat.instructions or chat.person_assigned:
            return False  # a person took over while the reply was being written
        failures = chat.failures + 1 if reply.used_fallback else 0
        if failures >= MAX_FAILURES or not reply.text:
            await hand_over(
                turn, chat.id, job.handover_text, reason=f"the AI failed: {reply.reason}"
            )
            return False
        await turn.count_failures(chat.id, failures)
        return True

    async def _log(self, turn: AiTurn, delivery: Delivery, reply: AIReply) -> None:
        if delivery.run_id is None:
            return
        message = (
            f"ai reply: fallback ({reply.reason})" if reply.used_fallback else "ai reply: generated"
        )
        await turn.log_call(
            delivery.run_id,
            delivery.step_id,
            message,
            {"used_fallback": reply.used_fallback, "reason": reply.reason},
        )
