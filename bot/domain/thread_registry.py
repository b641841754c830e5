"""The conversation <-> thread mapping kept in ``Conversation.attributes["slack_thread"]``."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.console_views import ThreadRef
from bot.core.errors import NotFoundError
from bot.domain import conversations
from bot.storage.models import Conversation
from bot.storage.uow import UnitOfWork

THREAD_KEY = "slack_thread"


def _conversation_id(value: str) -> int:
    if not value.isdigit():
        raise NotFoundError(f"conversation {value!r} not found")
    return int(value)


class AttributeThreadRegistry:
    """A :class:`~integrations.slack.ports.ThreadRegistry` over the conversations table."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def get(self, conversation_id: str) -> ThreadRef | None:
        async with self.uow() as tx:
            attributes = await tx.session.scalar(
                select(Conversation.attributes).where(
                    Conversation.id == _conversation_id(conversation_id)
                )
            )
        stored = (attributes or {}).get(THREAD_KEY)
        if not isinstance(stored, dict) or not stored.get("channel") or not stored.get("ts"):
            return None
        return ThreadRef(str(stored["channel"]), str(stored["ts"]))

    async def find(self, channel: str, thread_ts: str) -> str | None:
        thread = Conversation.attributes[THREAD_KEY]
        async with self.uow() as tx:
            found = await tx.session.scalar(
                select(Conversation.id)
                .where(
                    thread["ts"].as_string() == thread_ts,
                    thread["channel"].as_string() == channel,
                )
                .limit(1)
            )
        return None if found is None else str(found)

    async def save(self, conversation_id: str, ref: ThreadRef) -> None:
        async with self.uow() as tx:
            row = await conversations.get(tx, _conversation_id(conversation_id), lock=True)
            row.attributes = {
                **(row.attributes or {}),
                THREAD_KEY: {"channel": ref.channel, "ts": ref.thread_ts},
            }
