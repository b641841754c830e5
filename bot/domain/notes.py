"""Internal notes: what agents write beside a conversation for each other.

A note is a stored message with ``direction = "note"`` (no schema of its own): the
console and the API show it in the transcript, marked as a note. It is never queued for
the customer's channel, and every reader of what the customer saw or said (the widget's
history, the Slack mirror, the AI writer's context, previews, exports) reads only the
``in`` and ``out`` directions.
"""

from __future__ import annotations

from bot.core.errors import ValidationFailed
from bot.domain.conversations import Acting, get_record
from bot.storage.uow import NewMessage, Tx

NOTE = "note"
"""The ``direction`` (and ``kind``) of a note's message row."""
NOTE_ADDED = "note.added"
"""Internal event: a note was written (the live inbox shows it)."""
MAX_NOTE = 4096


async def add_note(
    tx: Tx, conversation_id: int, contact_id: int, text: str, agent_id: int
) -> NewMessage:
    """Store a note by agent ``agent_id``; the returned message has its id after commit."""
    row = tx.writes.add_message(
        {
            "conversation_id": conversation_id,
            "direction": NOTE,
            "sender_kind": "agent",
            "agent_id": agent_id,
            "kind": NOTE,
            "text": text,
            "payload": None,
            "media": [],
            "extra": {},
            "external_id": None,
            "delivery_status": "internal",
            "error_code": None,
            "created_at": tx.now,
        }
    )
    tx.writes.record_event(
        NOTE_ADDED,
        conversation_id=conversation_id,
        contact_id=contact_id,
        message=row,
        data={"agent_id": agent_id},
    )
    return row


async def note_as(tx: Tx, conversation_id: int, acting: Acting, text: str) -> NewMessage:
    """A note by the acting account's own agent record (NotAllowed without one)."""
    agent_id = acting.own_agent()
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ValidationFailed("text", f"must be 1 to {MAX_NOTE} characters")
    conversation = await get_record(tx, conversation_id)
    return await add_note(tx, conversation.id, conversation.contact_id, text, agent_id)
