"""What holds read of storage: the conversation a confirmation question goes to."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.models import Conversation
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class ReplyConversation:
    """A conversation as a reply to it needs it."""

    id: int
    channel: str
    external_id: str
    contact_id: int


async def reply_conversation(tx: Tx, conversation_id: int) -> ReplyConversation | None:
    """The stored conversation ``conversation_id``, None when there is none."""
    row = await tx.session.get(Conversation, conversation_id)
    if row is None:
        return None
    return ReplyConversation(row.id, row.channel, row.external_id, row.contact_id)
