"""The context a workflow sees: contact, conversation, lead, message, event (plain data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot import conversations
from bot.events import DomainEvent
from bot.models import Agent, Contact, Conversation, Lead, Message, Team
from bot.uow import Tx


async def build_context(
    tx: Tx,
    *,
    conversation_id: int | None,
    lead_id: int | None = None,
    message_id: int | None = None,
    event: DomainEvent | None = None,
) -> dict[str, Any]:
    """Everything conditions and templates may name, for one conversation (and lead)."""
    ctx: dict[str, Any] = {"contact": None, "conversation": None, "lead": None, "message": None}
    contact_id: int | None = None
    if conversation_id is not None:
        conversation = await tx.session.get(Conversation, conversation_id)
        if conversation is not None:
            ctx["conversation"] = await _conversation(tx, conversation)
            contact_id = conversation.contact_id
            if lead_id is None:
                lead_id = await tx.session.scalar(
                    select(Lead.id)
                    .where(Lead.conversation_id == conversation_id)
                    .order_by(Lead.id.desc())
                    .limit(1)
                )
    if lead_id is not None:
        lead = await tx.session.get(Lead, lead_id)
        if lead is not None:
            ctx["lead"] = _lead(lead)
            contact_id = contact_id or lead.contact_id
    if contact_id is None and event is not None:
        contact_id = event.contact_id
    if contact_id is not None:
        contact = await tx.session.get(Contact, contact_id)
        if contact is not None:
            ctx["contact"] = _contact(contact)
    if message_id is not None:
        message = await tx.session.get(Message, message_id)
        if message is not None:
            ctx["message"] = {
                "id": message.id,
                "text": message.text or "",
                "payload": message.payload,
                "kind": message.kind,
                "direction": message.direction,
                "sender_kind": message.sender_kind,
            }
    if event is not None:
        ctx["event"] = {"type": event.type, "id": event.id, **event.data}
    return ctx


async def _conversation(tx: Tx, row: Conversation) -> dict[str, Any]:
    assignee = await tx.session.get(Agent, row.assignee_id) if row.assignee_id else None
    team = await tx.session.get(Team, row.team_id) if row.team_id else None
    return {
        "id": row.id,
        "channel": row.channel,
        "source": row.channel,
        "status": row.status,
        "tags": await conversations.tags_of(tx, row.id),
        "message_count": row.message_count,
        "assignee": assignee.name if assignee else None,
        "assignee_id": row.assignee_id,
        "assignee_email": assignee.email if assignee else None,
        "team": team.name if team else None,
        "created_at": row.created_at,
        "last_activity_at": row.last_activity_at,
        "attributes": dict(row.attributes or {}),
    }


def _lead(row: Lead) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "stage": row.stage,
        "expected_amount": row.expected_amount,
        "currency": row.currency,
        "owner_id": row.owner_id,
        "tags": list(row.tags or []),
        "created_at": row.created_at,
        **{k: v for k, v in (row.attributes or {}).items() if k not in {"id", "stage"}},
    }


def _contact(row: Contact) -> dict[str, Any]:
    attributes = dict(row.attributes or {})
    return {
        **attributes,
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "locale": row.locale,
        "unreachable": row.unreachable,
        "attributes": attributes,
        "created_at": row.created_at,
    }
