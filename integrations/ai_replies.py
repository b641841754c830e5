"""The ``ai.reply`` outbox handler: write the reply at delivery time, then queue it.

The reply is queued with :func:`bot.replies.queue_reply` keyed by the delivery's own
key, in one transaction. A retry of the same delivery finds that key and stops, so the
model is never asked twice for one item. Without AI settings the step's fallback text
is sent at once.

Items queued for the ``ai_agent`` assignee (``agent: true``) also count failures in a
row; at :data:`MAX_FAILURES` the conversation is handed over to a person.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bot.errors import PermanentDeliveryError, UnavailableError
from bot.models import Conversation, Message, OutboxItem, WorkflowRun
from bot.outbox_items import Delivery
from bot.replies import queue_reply
from bot.run_store import add_log
from bot.services import Services
from bot.uow import Tx
from integrations.ai import AIProvider, AIReply, generate_reply
from integrations.ai_agent_runtime import (
    AGENT_KEY,
    FAILURES_KEY,
    MAX_FAILURES,
    hand_over,
)
from integrations.deliveries import AiReplyJob, parse_job
from workflows.message_parts import Choice

logger = logging.getLogger(__name__)

ROLES = {"customer": "user", "bot": "assistant", "agent": "assistant"}


async def load_history(tx: Tx, conversation_id: int, limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` customer, bot and agent messages, oldest first."""
    rows = await tx.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.sender_kind.in_(ROLES))
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [{"role": ROLES[m.sender_kind], "text": m.text or ""} for m in reversed(list(rows))]


class AiReplyHandler:
    """Outbox handler for kind ``ai.reply``; ``provider`` is None when AI is not configured."""

    def __init__(self, services: Services, provider: AIProvider | None) -> None:
        self.services = services
        self.provider = provider

    async def __call__(self, delivery: Delivery) -> None:
        payload = {"conversation_id": delivery.conversation_id, **delivery.payload}
        job = parse_job(AiReplyJob, payload)
        key = f"{delivery.idempotency_key}:reply"
        async with self.services.uow() as tx:
            if await tx.session.scalar(
                select(OutboxItem.id).where(OutboxItem.idempotency_key == key)
            ):
                return
            history = await load_history(tx, job.conversation_id, job.history_limit)
        reply = await self._generate(job, history)
        if reply.used_fallback and not reply.text and not job.agent:
            if self.provider is None:
                raise PermanentDeliveryError(f"no AI reply and no fallback text: {reply.reason}")
            raise UnavailableError(f"no AI reply and no fallback text: {reply.reason}")
        async with self.services.uow() as tx:
            conversation = await tx.session.get(Conversation, job.conversation_id)
            if conversation is None:
                raise PermanentDeliveryError(f"conversation {job.conversation_id} is gone")
            await self._log(tx, delivery, reply)
            if job.agent and not await self._agent_may_answer(tx, conversation, reply, job):
                return
            await queue_reply(
                tx,
                conversation,
                reply.text,
                sender_kind="bot",
                choices=[Choice.model_validate(c) for c in job.choices],
                run_id=delivery.run_id,
                step_id=delivery.step_id,
                key=key,
            )

    async def _generate(self, job: AiReplyJob, history: list[dict[str, Any]]) -> AIReply:
        if self.provider is None:
            return AIReply(job.fallback or "", True, "AI is not configured (AI_API_BASE_URL)")
        return await generate_reply(self.provider, job.instructions, history, job.fallback or "")

    async def _agent_may_answer(
        self, tx: Tx, conversation: Conversation, reply: AIReply, job: AiReplyJob
    ) -> bool:
        """Count failures in a row; hand over at the limit. False when nothing is to be sent."""
        attributes = dict(conversation.attributes or {})
        if not attributes.get(AGENT_KEY) or conversation.assignee_id is not None:
            return False  # a person took over while the reply was being written
        failures = int(attributes.get(FAILURES_KEY, 0)) + 1 if reply.used_fallback else 0
        if failures >= MAX_FAILURES or not reply.text:
            await hand_over(
                tx, conversation, job.handover_text, reason=f"the AI failed: {reply.reason}"
            )
            return False
        conversation.attributes = {**attributes, FAILURES_KEY: failures}
        return True

    async def _log(self, tx: Tx, delivery: Delivery, reply: AIReply) -> None:
        if delivery.run_id is None:
            return
        workflow_id = await tx.session.scalar(
            select(WorkflowRun.workflow_id).where(WorkflowRun.id == delivery.run_id)
        )
        if workflow_id is None:
            return
        message = (
            f"ai reply: fallback ({reply.reason})" if reply.used_fallback else "ai reply: generated"
        )
        add_log(
            tx,
            run_id=delivery.run_id,
            workflow_id=workflow_id,
            kind="call",
            step_id=delivery.step_id,
            message=message,
            data={"used_fallback": reply.used_fallback, "reason": reply.reason},
        )
