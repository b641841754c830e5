"""The conversation <-> thread mapping kept in ``Conversation.attributes["slack_thread"]``."""

from __future__ import annotations

from bot.core.console_views import ThreadRef
from bot.core.errors import NotFoundError
from bot.storage.domain import thread_records
from bot.storage.domain.thread_records import THREAD_KEY as THREAD_KEY
from bot.storage.uow import UnitOfWork


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
            stored = await thread_records.stored_thread(tx, _conversation_id(conversation_id))
        if not isinstance(stored, dict) or not stored.get("channel") or not stored.get("ts"):
            return None
        return ThreadRef(str(stored["channel"]), str(stored["ts"]))

    async def find(self, channel: str, thread_ts: str) -> str | None:
        async with self.uow() as tx:
            found = await thread_records.conversation_of_thread(tx, channel, thread_ts)
        return None if found is None else str(found)

    async def save(self, conversation_id: str, ref: ThreadRef) -> None:
        async with self.uow() as tx:
            await thread_records.save_thread(
                tx, _conversation_id(conversation_id), ref.channel, ref.thread_ts
            )
