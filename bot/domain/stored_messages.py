"""Stored messages as plain values: a chat's latest messages and who wrote one."""

from __future__ import annotations

from bot.storage.db import Database
from bot.storage.domain.message_records import (
    Sender,
    StoredMessage,
    latest_messages,
    message_sender,
)

__all__ = ["Sender", "StoredMessage", "StoredMessages"]


class StoredMessages:
    """Read-only queries over stored messages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def latest(self, channel: str, external_id: str, limit: int) -> list[StoredMessage]:
        """The newest ``limit`` messages of the latest conversation with the chat
        ``external_id`` on ``channel``, oldest first."""
        return await latest_messages(self._db, channel, external_id, limit)

    async def sender(self, message_id: int) -> Sender | None:
        """Who wrote the stored message ``message_id``; None when there is none."""
        return await message_sender(self._db, message_id)
