"""Thread work queued in the outbox (kind ``slack.thread``), written with the change that causes it.

Items for one Slack channel share the outbox destination ``slack:<channel>``, so they go
out in order and paced; a DM goes to ``slack:<user>``.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select

from bot.domain.thread_registry import THREAD_KEY
from bot.storage.models import Conversation, OutboxItem
from bot.storage.uow import Tx

THREAD_KIND = "slack.thread"
Op = Literal["open", "header", "post", "assigned", "offer"]


def thread_channel(row: Conversation) -> str | None:
    """The Slack channel of the conversation's thread, when it has one."""
    stored = (row.attributes or {}).get(THREAD_KEY)
    return str(stored["channel"]) if isinstance(stored, dict) and stored.get("channel") else None


async def enqueue(
    tx: Tx, op: Op, conversation_id: int, destination: str, *, key: str | None = None, **data: Any
) -> bool:
    """Queue one thread operation; False when ``key`` was queued before (a redelivered event)."""
    if key is not None:
        seen = await tx.session.scalar(
            select(OutboxItem.id).where(OutboxItem.idempotency_key == key).limit(1)
        )
        if seen is not None:
            return False
    tx.enqueue(
        THREAD_KIND,
        {"op": op, "conversation_id": str(conversation_id), **data},
        destination=f"slack:{destination}",
        key=key,
        conversation_id=conversation_id,
    )
    return True


def refresh_header(tx: Tx, row: Conversation) -> None:
    """Queue a ``chat.update`` of the header, when the conversation has a thread."""
    channel = thread_channel(row)
    if channel is not None:
        tx.enqueue(
            THREAD_KIND,
            {"op": "header", "conversation_id": str(row.id)},
            destination=f"slack:{channel}",
            conversation_id=row.id,
        )
