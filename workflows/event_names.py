"""The names of domain events, and those a workflow trigger may name."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_CLOSED = "conversation.closed"
    CONVERSATION_REOPENED = "conversation.reopened"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_UNMATCHED = "message.unmatched"
    TAG_ADDED = "tag.added"
    TAG_REMOVED = "tag.removed"
    LEAD_CREATED = "lead.created"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    VISITOR_RAGE_CLICK = "visitor.rage_click"
    VISITOR_IDLE = "visitor.idle"
    VISITOR_FORM_FRUSTRATION = "visitor.form_frustration"


TRIGGER_EVENTS: frozenset[str] = frozenset(
    {
        EventType.CONVERSATION_CREATED,
        EventType.CONVERSATION_ASSIGNED,
        EventType.CONVERSATION_CLOSED,
        EventType.MESSAGE_RECEIVED,
        EventType.MESSAGE_UNMATCHED,
        EventType.TAG_ADDED,
        EventType.LEAD_CREATED,
        EventType.LEAD_STAGE_CHANGED,
        EventType.VISITOR_RAGE_CLICK,
        EventType.VISITOR_IDLE,
        EventType.VISITOR_FORM_FRUSTRATION,
    }
)
"""Events a workflow trigger may name."""
