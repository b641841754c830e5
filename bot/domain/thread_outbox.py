"""Thread work queued in the outbox (kind ``slack.thread``), written with the change that causes it.

Items for one Slack channel share the outbox destination ``slack:<channel>``, so they go
out in order and paced; a DM goes to ``slack:<user>``.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from bot.storage import thread_records
from bot.storage.thread_records import THREAD_KEY
from bot.storage.uow import Tx

THREAD_KIND = "slack.thread"
Op = Literal["open", "header", "post", "assigned", "offer"]


class ThreadHolder(Protocol):
    """What thread work reads of a conversation: its id and attributes."""

    @property
    def id(self) -> int: ...
    @property
    def attributes(self) -> dict[str, Any]: ...


def thread_channel(row: ThreadHolder) -> str | None:
    """The Slack channel of the conversation's thread, when it has one."""
    stored = (row.attributes or {}).get(THREAD_KEY)
    return str(stored["channel"]) if isinstance(stored, dict) and stored.get("channel") else None


async def enqueue(
    tx: Tx, op: Op, conversation_id: int, destination: str, *, key: str | None = None, **data: Any
) -> bool:
    """Queue one thread operation; False when ``key`` was queued before (a redelivered event)."""
    if key is not None and await thread_records.queued_before(tx, key):
        return False
    tx.enqueue(
        THREAD_KIND,
        {"op": op, "conversation_id": str(conversation_id), **data},
        destination=f"slack:{destination}",
        key=key,
        conversation_id=conversation_id,
    )
    return True


def refresh_header(tx: Tx, row: ThreadHolder) -> None:
    """Queue a ``chat.update`` of the header, when the conversation has a thread."""
    channel = thread_channel(row)
    if channel is not None:
        tx.enqueue(
            THREAD_KIND,
            {"op": "header", "conversation_id": str(row.id)},
            destination=f"slack:{channel}",
            conversation_id=row.id,
        )
