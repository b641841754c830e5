"""Thread work queued in the outbox (kind ``slack.thread``), written with the change that causes it.

Items for one Slack channel share the outbox destination ``slack:<channel>``, so they go
out in order and paced; a DM goes to ``slack:<user>``.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from bot.storage.domain import thread_records
from bot.storage.uow import Tx

THREAD_KIND = "slack.thread"
Op = Literal["open", "header", "post", "assigned", "offer"]


class ThreadHolder(Protocol):
    """What thread work reads of a conversation: its id and its thread's Slack channel."""

    @property
    def id(self) -> int: ...
    @property
    def thread_channel(self) -> str | None: ...


async def enqueue(
    tx: Tx, op: Op, conversation_id: int, destination: str, *, key: str | None = None, **data: Any
) -> bool:
    """Queue one thread operation; False when ``key`` was queued before (a redelivered event)."""
    if key is not None and await thread_records.queued_before(tx, key):
        return False
    tx.writes.enqueue(
        THREAD_KIND,
        {"op": op, "conversation_id": str(conversation_id), **data},
        destination=f"slack:{destination}",
        key=key,
        conversation_id=conversation_id,
    )
    return True


def refresh_header(tx: Tx, conversation: ThreadHolder) -> None:
    """Queue a ``chat.update`` of the header, when the conversation has a thread."""
    channel = conversation.thread_channel
    if channel is not None:
        tx.writes.enqueue(
            THREAD_KIND,
            {"op": "header", "conversation_id": str(conversation.id)},
            destination=f"slack:{channel}",
            conversation_id=conversation.id,
        )
