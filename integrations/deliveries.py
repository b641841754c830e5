"""Outbox handlers for the integration kinds: ``webhook``, ``email`` and ``ai.reply``.

Each handler takes one outbox delivery (its ``payload`` and ``idempotency_key``) and
either returns (delivered) or raises a :class:`bot.core.errors.DeliveryError` subclass the
outbox retries (``RetryableDeliveryError``) or gives up on (``PermanentDeliveryError``).
A malformed payload is a ``BadRequestError``: retrying cannot fix it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field, ValidationError

from bot.core.errors import BadRequestError, UnavailableError
from integrations.ai import AIProvider, AIReply, generate_reply
from integrations.email import EmailSender
from integrations.webhook import WebhookSender

WEBHOOK_KIND = "webhook"
EMAIL_KIND = "email"
AI_REPLY_KIND = "ai.reply"


class DeliveryLike(Protocol):
    """What a handler reads from an outbox item."""

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def idempotency_key(self) -> str: ...


Handler = Callable[[DeliveryLike], Awaitable[None]]


class WebhookJob(BaseModel):
    url: str
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    secret: str | None = None
    delivery_id: str | None = None


class EmailJob(BaseModel):
    to: list[str] = Field(min_length=1)
    subject: str
    text: str
    html: str | None = None


class AiReplyJob(BaseModel):
    conversation_id: int
    instructions: str
    fallback: str | None = None
    history_limit: int = 20
    choices: list[dict[str, Any]] = Field(default_factory=list)
    agent: bool = False
    """Queued for the ``ai_agent`` assignee: failures in a row lead to a hand-over."""
    handover_text: str = "I'll bring in a colleague who can help you further."


_Job = TypeVar("_Job", bound=BaseModel)


def parse_job(model: type[_Job], payload: Mapping[str, Any]) -> _Job:
    """The payload as ``model``; a malformed payload is a permanent ``BadRequestError``."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadRequestError(
            f"malformed {model.__name__} payload: {exc.error_count()} error(s)"
        ) from exc


def message_id_for(key: str) -> str:
    """A stable Message-ID for one outbox item, so a retried e-mail is recognisably the same."""
    return f"<{re.sub(r'[^A-Za-z0-9._-]', '.', key)[:180]}@relaybot>"


def make_webhook_handler(sender: WebhookSender) -> Handler:
    async def deliver(delivery: DeliveryLike) -> None:
        job = parse_job(WebhookJob, delivery.payload)
        await sender.deliver(
            job.url,
            job.body,
            delivery_id=job.delivery_id or delivery.idempotency_key,
            secret=job.secret,
            headers=job.headers,
        )

    return deliver


def make_email_handler(sender: EmailSender) -> Handler:
    async def deliver(delivery: DeliveryLike) -> None:
        job = parse_job(EmailJob, delivery.payload)
        await sender.send(
            job.to,
            job.subject,
            job.text,
            job.html,
            message_id=message_id_for(delivery.idempotency_key),
        )

    return deliver


HistoryLoader = Callable[[int, int], Awaitable[list[dict[str, Any]]]]
ReplySender = Callable[[DeliveryLike, AIReply], Awaitable[None]]


def make_ai_reply_handler(
    provider: AIProvider, load_history: HistoryLoader, send_reply: ReplySender
) -> Handler:
    """Write the reply at delivery time (not inside the step's transaction), then hand the
    text to ``send_reply`` (which queues a ``channel.send`` keyed by this delivery's key,
    so a retry after that point never asks the model again)."""

    async def deliver(delivery: DeliveryLike) -> None:
        job = parse_job(AiReplyJob, delivery.payload)
        history = await load_history(job.conversation_id, job.history_limit)
        reply = await generate_reply(provider, job.instructions, history, job.fallback or "")
        if reply.used_fallback and not job.fallback:
            raise UnavailableError(f"no AI reply and no fallback: {reply.reason}")
        await send_reply(delivery, reply)

    return deliver
