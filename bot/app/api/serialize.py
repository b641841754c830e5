"""Stored values to JSON-ready dicts for the admin API."""

from __future__ import annotations

from typing import Any

from bot.domain.contact_names import display_name
from bot.storage.app.conversation_queries import MessageView
from bot.storage.app.people_queries import AgentView, ContactView, TeamView
from bot.storage.domain.conversation_records import ConversationRow
from bot.storage.domain.lead_records import LeadRecord


def conversation(row: ConversationRow, tags: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "contact_id": row.contact_id,
        "channel": row.channel,
        "external_id": row.external_id,
        "status": row.status,
        "assignee_id": row.assignee_id,
        "team_id": row.team_id,
        "tags": tags,
        "message_count": row.message_count,
        "last_activity_at": row.last_activity_at.isoformat(),
        "created_at": row.created_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
    }


def message(row: MessageView) -> dict[str, Any]:
    return {
        "id": row.id,
        "direction": row.direction,
        "sender_kind": row.sender_kind,
        "agent_id": row.agent_id,
        "kind": row.kind,
        "text": row.text,
        "payload": row.payload,
        "media": row.media,
        "choices": (row.extra or {}).get("choices", []),
        "input_type": (row.extra or {}).get("input_type"),
        "delivery_status": row.delivery_status,
        "error": row.error_code,
        "created_at": row.created_at.isoformat(),
    }


def contact(row: ContactView) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "display_name": display_name(row),
        "email": row.email,
        "phone": row.phone,
        "locale": row.locale,
        "attributes": row.attributes,
        "unreachable": row.unreachable,
        "created_at": row.created_at.isoformat(),
    }


def lead(row: LeadRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "stage": row.stage,
        "expected_amount": str(row.expected_amount) if row.expected_amount is not None else None,
        "currency": row.currency,
        "contact_id": row.contact_id,
        "conversation_id": row.conversation_id,
        "owner_id": row.owner_id,
        "tags": list(row.tags),
        "created_at": row.created_at.isoformat(),
    }


def agent(row: AgentView) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "slack_user_id": row.slack_user_id,
        "roles": row.roles,
        "available": row.available,
        "capacity": row.capacity,
    }


def team(row: TeamView, member_ids: list[int]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "slack_channel": row.slack_channel,
        "members": member_ids,
    }
