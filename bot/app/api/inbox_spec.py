"""The OpenAPI description of ``/api/conversations`` and ``/api/inbox`` (the paths of
:mod:`bot.app.api.conversations` and :mod:`bot.app.api.inbox`)."""

from __future__ import annotations

from typing import Any

from bot.app.api.spec import CSRF, error_responses, json_body, ok, query

ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
TAG = {"name": "tag", "in": "path", "required": True, "schema": {"type": "string"}}
FILTERS = [
    query("status", "open or closed (both when left out)", enum=["open", "closed"]),
    query("channel", "a channel's name: widget, telegram, whatsapp, ..."),
    query("tag", "a tag's name"),
    query("assignee_id", "an agent's id", type="integer"),
    query("unassigned", "true: only conversations without an assignee", enum=["true"]),
]


def _change(summary: str, body: str | None = None, codes: tuple[int, ...] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [ID, CSRF],
        "responses": ok("Changed") | error_responses(400, 401, 403, 404, *codes),
    }
    if body is not None:
        operation["requestBody"] = json_body(body)
    return {"post": operation}


def _created(summary: str, body: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [ID, CSRF],
            "requestBody": json_body(body),
            "responses": {
                "201": {
                    "description": "stored",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Created"}}
                    },
                }
            }
            | error_responses(400, 401, 403, 404),
        }
    }


CONVERSATION_PATHS: dict[str, Any] = {
    "/api/conversations": {
        "get": {
            "summary": "The most recently active conversations, narrowed by each filter",
            "parameters": [*FILTERS, query("limit", "at most 500, 50 by default", type="integer")],
            "responses": ok("Conversations") | error_responses(400, 401),
        }
    },
    "/api/conversations/{id}": {
        "get": {
            "summary": 'One conversation with every message; internal notes have direction "note"',
            "parameters": [ID],
            "responses": ok("ConversationWithMessages") | error_responses(400, 401, 404),
        }
    },
    "/api/conversations/{id}/assign": _change(
        "Assign to an agent and/or a team, or to nobody (both null). Admins: anyone"
        " (audited as conversation.assigned); agents: only themselves, or nobody when the"
        " conversation is theirs (403 otherwise)",
        "Assign",
    ),
    "/api/conversations/{id}/close": _change("Close the conversation"),
    "/api/conversations/{id}/reopen": _change("Reopen a closed conversation"),
    "/api/conversations/{id}/tags": _change("Add a tag", "Tag"),
    "/api/conversations/{id}/tags/{tag}": {
        "delete": {
            "summary": "Remove a tag",
            "parameters": [ID, TAG, CSRF],
            "responses": ok("Changed") | error_responses(400, 401, 403, 404),
        }
    },
    "/api/conversations/{id}/messages": _created(
        "Reply to the customer on the conversation's channel. With a session the reply is"
        " the account's own agent's (403 for an account without an agent record; an admin"
        " may name another agent_id); with the bearer token, from agent_id if given",
        "Reply",
    ),
}
INBOX_PATHS: dict[str, Any] = {
    "/api/inbox": {
        "get": {
            "summary": "The inbox's list: conversations newest activity first with their"
            " customer's name, newest message, assignee, team and tags",
            "parameters": [
                *FILTERS,
                query("page", "1 for the newest 50, 2 for the next ...", type="integer"),
            ],
            "responses": ok("InboxPage") | error_responses(400, 401),
        }
    },
    "/api/conversations/{id}/notes": _created(
        "Add an internal note (agents only see it: never sent, never in the widget)", "Note"
    ),
    "/api/conversations/{id}/claim": _change(
        "Assign the conversation to the caller's own agent (403 when another agent has it"
        " and the caller is not an admin, or the account has no agent record)"
    ),
    "/api/conversations/{id}/release": _change(
        "Unassign the conversation (agents: only their own)"
    ),
}

_TEXT = {"type": "string", "minLength": 1, "maxLength": 4096}
_CONVERSATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "contact_id": {"type": "integer"},
        "channel": {"type": "string"},
        "external_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "assignee_id": {"type": ["integer", "null"]},
        "team_id": {"type": ["integer", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "message_count": {"type": "integer"},
        "last_activity_at": {"type": "string", "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
CONVERSATION_SCHEMAS: dict[str, Any] = {
    "Conversation": _CONVERSATION,
    "Conversations": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Conversation"}}
        },
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "direction": {"enum": ["in", "out", "note"]},
            "sender_kind": {"enum": ["customer", "bot", "agent", "system"]},
            "agent_id": {"type": ["integer", "null"]},
            "kind": {"type": "string"},
            "text": {"type": ["string", "null"]},
            "payload": {"type": ["string", "null"]},
            "media": {"type": "array", "items": {"type": "object"}},
            "choices": {"type": "array", "items": {"type": "object"}},
            "input_type": {"type": ["string", "null"]},
            "delivery_status": {"type": "string"},
            "error": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "ConversationWithMessages": {
        "allOf": [
            {"$ref": "#/components/schemas/Conversation"},
            {
                "type": "object",
                "properties": {
                    "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}
                },
            },
        ]
    },
    "Assign": {
        "type": "object",
        "properties": {
            "agent_id": {"type": ["integer", "null"]},
            "team_id": {"type": ["integer", "null"]},
        },
    },
    "Tag": {
        "type": "object",
        "required": ["tag"],
        "properties": {"tag": {"type": "string", "minLength": 1, "maxLength": 120}},
    },
    "Reply": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": _TEXT, "agent_id": {"type": ["integer", "null"]}},
    },
    "Changed": {"type": "object", "properties": {"changed": {"type": "boolean"}}},
    "Created": {"type": "object", "properties": {"message_id": {"type": "integer"}}},
}
INBOX_SCHEMAS: dict[str, Any] = {
    "Note": {"type": "object", "required": ["text"], "properties": {"text": _TEXT}},
    "InboxRow": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "contact": {"type": "string", "description": "the customer's display name"},
            "channel": {"type": "string"},
            "status": {"enum": ["open", "closed"]},
            "assignee_id": {"type": ["integer", "null"]},
            "assignee": {"type": ["string", "null"]},
            "team_id": {"type": ["integer", "null"]},
            "team": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "preview": {"type": "string", "description": "the newest message, shortened"},
            "last_activity_at": {"type": "string", "format": "date-time"},
        },
    },
    "InboxPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/InboxRow"}},
            "next_page": {"type": ["integer", "null"]},
        },
    },
}
