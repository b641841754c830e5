"""What the demo agent page reads: open conversations and their latest messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.app.conversation_queries import MessageView, message_view
from bot.storage.domain.conversation_records import ConversationRow, conversation_row
from bot.storage.models import Conversation, Message
from bot.storage.record_rows import keep
from bot.storage.uow import Tx


async def open_conversations(tx: Tx, *, limit: int) -> list[ConversationRow]:
    """The most recently active open conversations, at most ``limit``."""
    rows = await tx.session.scalars(
        select(Conversation)
        .where(Conversation.status == "open")
        .order_by(Conversation.last_activity_at.desc())
        .limit(limit)
    )
    return [conversation_row(row) for row in rows]


async def latest_messages(tx: Tx, conversation_id: int, *, limit: int) -> list[MessageView]:
    """The conversation's last ``limit`` messages, oldest first."""
    rows = list(
        await tx.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction.in_(("in", "out")),  # not agents' internal notes
            )
            .order_by(Message.id.desc())
            .limit(limit)
        )
    )
    return [message_view(row) for row in reversed(rows)]


async def demo_conversation(tx: Tx, conversation_id: int) -> ConversationRow | None:
    """The conversation with this id, if any; its row stays in the session for the
    assignment that may follow in the same transaction."""
    row = await tx.session.get(Conversation, conversation_id)
    if row is None:
        return None
    keep(tx, [row])
    return conversation_row(row)
