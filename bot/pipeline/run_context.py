"""The context a workflow sees: contact, conversation, lead, message, event (plain data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select

from bot.pipeline.events import DomainEvent
from bot.storage.models import (
    Agent,
    Contact,
    Conversation,
    ConversationTag,
    Lead,
    Message,
    Tag,
    Team,
)
from bot.storage.sql import records_by_id, table_of
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


_CONVERSATION_TAGS, _TAGS, _LEADS = table_of(ConversationTag), table_of(Tag), table_of(Lead)
_TAGS_OF = (
    select(_CONVERSATION_TAGS.c.conversation_id, _TAGS.c.name)
    .join(_TAGS, _CONVERSATION_TAGS.c.tag_id == _TAGS.c.id)
    .where(_CONVERSATION_TAGS.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)))
    .order_by(_TAGS.c.name)
)
_LATEST_LEADS_OF = (
    select(_LEADS.c.conversation_id, func.max(_LEADS.c.id))
    .where(_LEADS.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)))
    .group_by(_LEADS.c.conversation_id)
)


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
    The conversation rows are left in ``tx.conversations`` for replies to reuse."""
    conversations = await records_by_id(
        tx.session, Conversation, {t.conversation_id for t in targets}
    )
    tx.conversations.update(conversations)
    agents = await records_by_id(tx.session, Agent, {c.assignee_id for c in conversations.values()})
    teams = await records_by_id(tx.session, Team, {c.team_id for c in conversations.values()})
    tags = await _tags(tx, set(conversations))
    latest = await _latest_leads(
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
    leads = await records_by_id(tx.session, Lead, set(lead_of))
    contact_of: list[int | None] = []
    for target, lead_id in zip(targets, lead_of, strict=True):
        conversation = conversations.get(target.conversation_id)
        lead = leads.get(lead_id)
        contact_of.append(
            (conversation.contact_id if conversation is not None else None)
            or (lead.contact_id if lead is not None else None)
            or target.contact_id
        )
    contacts = await records_by_id(tx.session, Contact, set(contact_of))
    messages = await records_by_id(tx.session, Message, {t.message_id for t in targets})
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
            event = target.event
            contexts[-1]["event"] = {"type": event.type, "id": event.id, **event.data}
    return contexts


def _message(row: Any) -> dict[str, Any] | None:
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


async def _tags(tx: Tx, conversation_ids: set[int | None]) -> dict[int, list[str]]:
    wanted = sorted(i for i in conversation_ids if i is not None)
    tags: dict[int, list[str]] = {}
    if wanted:
        rows = await tx.session.execute(_TAGS_OF, {"conversation_ids": wanted})
        for conversation_id, name in rows:
            tags.setdefault(conversation_id, []).append(name)
    return tags


async def _latest_leads(tx: Tx, conversation_ids: set[int | None]) -> dict[int | None, int]:
    """Each conversation's newest lead."""
    wanted = sorted(i for i in conversation_ids if i is not None)
    if not wanted:
        return {}
    rows = await tx.session.execute(_LATEST_LEADS_OF, {"conversation_ids": wanted})
    return {conversation_id: lead_id for conversation_id, lead_id in rows}


def _conversation(
    row: Any, agents: dict[int | None, Any], teams: dict[int | None, Any], tags: list[str]
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


def _lead(row: Any) -> dict[str, Any]:
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


def _contact(row: Any) -> dict[str, Any]:
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
