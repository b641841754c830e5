"""Rows read ahead for a batch in one query, then used once each instead of a read each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False, slots=True)
class ReadAhead:
    """What a transaction read ahead for a batch of runs."""

    last_message_ids: dict[int, int] = field(default_factory=dict)
    """Newest stored message id per conversation, taken once each."""
    conversations: dict[int | None, Any] = field(default_factory=dict)
    """Conversations as plain rows (``run_context_queries.ConversationRow``) for a batch's
    replies, by id."""
    outbox_keys: dict[str, bool] = field(default_factory=dict)
    """Whether an outbox item with each of these idempotency keys existed when read."""
