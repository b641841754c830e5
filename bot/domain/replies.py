"""Messages to customers: stored as outbound rows and queued for their channel."""

from __future__ import annotations

import logging
from typing import Any, Literal, Protocol

from bot.core.messages import OutboundMessage
from bot.domain.conversations import Acting
from bot.storage.pipeline.delivery_records import delivery_status_row as delivery_status_row
from bot.storage.pipeline.delivery_records import mark_unreachable as mark_unreachable
from bot.storage.pipeline.delivery_records import set_delivery_status as set_delivery_status
from bot.storage.pipeline.delivery_records import write_delivery_status as write_delivery_status
from bot.storage.uow import NewMessage, Tx
from workflows.message_parts import Choice, Template

logger = logging.getLogger(__name__)

SEND_KIND = "channel.send"
MESSAGE_SENT = "message.sent"
"""Internal event: an outbound message was queued (mirrors, live views)."""

SenderKind = Literal["bot", "agent", "system"]


class ConversationRef(Protocol):
    """What a reply needs of its conversation (any record of it with these fields)."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def external_id(self) -> str: ...
    @property
    def contact_id(self) -> int: ...


async def queue_reply(
    tx: Tx,
    conversation: ConversationRef,
    text: str,
    *,
    sender_kind: SenderKind = "bot",
    agent_id: int | None = None,
    choices: list[Choice] | None = None,
    media_url: str | None = None,
    template: Template | None = None,
    input_type: str | None = None,
    run_id: int | None = None,
    step_id: str | None = None,
    key: str | None = None,
    source: str | None = None,
) -> NewMessage:
    """Store an outbound message and queue it for delivery on the conversation's channel.

    Nothing is written yet: the message, its outbox item and its event (which take its
    id) are written with the transaction's others before commit, so many replies in one
    transaction share statements. The returned message has its id from then on.
    ``source`` marks where the text was written (kept in the message's ``extra``).
    """
    extra: dict[str, Any] = {}
    if choices:
        extra["choices"] = [c.model_dump() for c in choices]
    if input_type:
        extra["input_type"] = input_type
    if template is not None:
        extra["template"] = template.model_dump()
    if run_id is not None:
        extra["run_id"] = run_id
        extra["step_id"] = step_id
    if source is not None:
        extra["source"] = source
    row = tx.writes.add_message(
        {
            "conversation_id": conversation.id,
            "direction": "out",
            "sender_kind": sender_kind,
            "agent_id": agent_id,
            "kind": "text",
            "text": text,
            "payload": None,
            "media": [{"url": media_url}] if media_url else [],
            "extra": extra,
            "external_id": None,
            "delivery_status": "queued",
            "error_code": None,
            "created_at": tx.now,
        }
    )
    tx.writes.touch(conversation)
    outbound = OutboundMessage(
        channel=conversation.channel,
        external_conversation_id=conversation.external_id,
        text=text,
        choices=choices or [],
        media_url=media_url,
        template=template,
        input_type=input_type,
        conversation_id=conversation.id,
    )
    tx.writes.enqueue(
        SEND_KIND,
        outbound.model_dump(mode="json"),
        destination=f"{conversation.channel}:{conversation.external_id}",
        key=key,
        conversation_id=conversation.id,
        run_id=run_id,
        step_id=step_id,
        message=row,
    )
    tx.writes.record_event(
        MESSAGE_SENT,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        message=row,
        data={"sender_kind": sender_kind, "agent_id": agent_id},
    )
    return row


def freeform_blocked(channel: str, channel_allows: bool, message: OutboundMessage) -> str | None:
    """Why a free-form message may not go out on ``channel`` now (None when it may)."""
    if channel_allows or message.template is not None:
        return None
    return (
        f"outside {channel}'s customer-service window and no template named "
        "(add `template: {content_sid: ...}` to the step)"
    )


async def reply_as(tx: Tx, conversation: ConversationRef, acting: Acting, text: str) -> NewMessage:
    """An agent's reply, written by the acting account's own agent record (NotAllowed for
    an account without one), queued for the customer's channel."""
    return await queue_reply(
        tx, conversation, text, sender_kind="agent", agent_id=acting.own_agent(), source="console"
    )
