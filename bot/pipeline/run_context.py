"""The context a workflow sees: contact, conversation, lead, message, event (plain data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.pipeline.events import DomainEvent
from bot.storage.domain.conversation_records import ConversationRow
from bot.storage.pipeline.run_context_queries import (
    AgentRow,
    ContactRow,
    LeadRow,
    MessageRow,
    TeamRow,
    agents_by_id,
    contacts_by_id,
    conversations_by_id,
    latest_leads_of,
    leads_by_id,
    messages_by_id,
    tags_of,
    teams_by_id,
)
from bot.storage.uow import Tx


@dataclass(frozen=True)
class ContextTarget:
    """Whose context to build: a conversation and/or a lead (``contact_id`` is used when
    neither names a contact), and the message and event that set a run off."""

    conversation_id: int | None
    lead_id: int | None = None
    contact_id: int | None = None
    message_id: int | None = None
    event: DomainEvent | None = None

    @classmethod
    def of_event(cls, event: DomainEvent) -> ContextTarget:
        return cls(event.conversation_id, event.lead_id, event.contact_id, event.message_id, event)


async def build_context(
    tx: Tx,
    *,
    conversation_id: int | None,
    lead_id: int | None = None,
    message_id: int | None = None,
    event: DomainEvent | None = None,
) -> dict[str, Any]:
    """Everything conditions and templates may name, for one conversation (and lead)."""
    target = ContextTarget(
        conversation_id, lead_id, event.contact_id if event is not None else None, message_id, event
    )
    return (await build_contexts(tx, [target]))[0]


async def build_contexts(tx: Tx, targets: Sequence[ContextTarget]) -> list[dict[str, Any]]:
    """The contexts of many targets (contact, conversation, lead), one query per table.

    Rows are read as plain records: the contexts are copies, nothing here is changed.
    The conversation rows are left in ``tx.read_ahead.conversations`` for replies to reuse."""
    conversations = await conversations_by_id(tx, {t.conversation_id for t in targets})
    tx.read_ahead.conversations.update(conversations)
    agents = await agents_by_id(tx, {c.assignee_id for c in conversations.values()})
    teams = await teams_by_id(tx, {c.team_id for c in conversations.values()})
    tags = await tags_of(tx, set(conversations))
    latest = await latest_leads_of(
        tx,
        {
            t.conversation_id
            for t in targets
            if t.lead_id is None and t.conversation_id in conversations
        },
    )
    lead_of = [
        t.lead_id if t.lead_id is not None else latest.get(t.conversation_id) for t in targets
    ]
    leads = await leads_by_id(tx, set(lead_of))
    contact_of: list[int | None] = []
    for target, lead_id in zip(targets, lead_of, strict=True):
        conversation = conversations.get(target.conversation_id)
        lead = leads.get(lead_id)
        contact_of.append(
            (conversation.contact_id if conversation is not None else None)
            or (lead.contact_id if lead is not None else None)
            or target.contact_id
        )
    contacts = await contacts_by_id(tx, set(contact_of))
    messages = await messages_by_id(tx, {t.message_id for t in targets})
    contexts: list[dict[str, Any]] = []
    for target, lead_id, contact_id in zip(targets, lead_of, contact_of, strict=True):
        conversation = conversations.get(target.conversation_id)
        lead = leads.get(lead_id)
        contact = contacts.get(contact_id)
        contexts.append(
            {
                "contact": _contact(contact) if contact is not None else None,
                "conversation": (
                    _conversation(conversation, agents, teams, tags.get(conversation.id, []))
                    if conversation is not None
                    else None
                ),
                "lead": _lead(lead) if lead is not None else None,
                "message": _message(messages.get(target.message_id)),
            }
        )
        if target.event is not None:
            contexts[-1]["event"] = event_data(target.event)
    return contexts


def event_data(event: DomainEvent) -> dict[str, Any]:
    """The event as a context shows it."""
    return {"type": event.type, "id": event.id, **event.data}


def _message(row: MessageRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "text": row.text or "",
        "payload": row.payload,
        "kind": row.kind,
        "direction": row.direction,
        "sender_kind": row.sender_kind,
    }


def _conversation(
    row: ConversationRow,
    agents: dict[int | None, AgentRow],
    teams: dict[int | None, TeamRow],
    tags: list[str],
) -> dict[str, Any]:
    assignee = agents.get(row.assignee_id)
    team = teams.get(row.team_id)
    return {
        "id": row.id,
        "channel": row.channel,
        "source": row.channel,
        "status": row.status,
        "tags": tags,
        "message_count": row.message_count,
        "assignee": assignee.name if assignee else None,
        "assignee_id": row.assignee_id,
        "assignee_email": assignee.email if assignee else None,
        "team": team.name if team else None,
        "created_at": row.created_at,
        "last_activity_at": row.last_activity_at,
        "attributes": dict(row.attributes or {}),
    }


def _lead(row: LeadRow) -> dict[str, Any]:
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


def _contact(row: ContactRow) -> dict[str, Any]:
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
