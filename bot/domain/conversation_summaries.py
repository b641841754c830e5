"""Conversations flattened into :class:`~bot.core.console_views.ConversationSummary`."""

from __future__ import annotations

from typing import Protocol, cast

from bot.core.console_views import ConversationStatus, ConversationSummary
from bot.domain import conversations
from bot.domain.contact_names import display_name, friendly_name
from bot.domain.message_labels import shown_text
from bot.storage.domain.conversation_summary_records import summary_parts
from bot.storage.uow import Tx


class Summarized(Protocol):
    """The parts of a conversation its summary starts from (a record of it)."""

    @property
    def id(self) -> int: ...
    @property
    def contact_id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


async def summarize(tx: Tx, row: Summarized) -> ConversationSummary:
    """``row`` with its customer, assignee, team, tags, newest lead and newest inbound text.

    ``row`` is a plain value: to show a change made in the transaction, read the
    conversation after it."""
    parts = await summary_parts(tx, row.id, row.contact_id, row.assignee_id, row.team_id)
    status = row.status if row.status in ("open", "pending", "closed") else "open"
    newest = parts.newest_inbound
    return ConversationSummary(
        id=str(row.id),
        channel=row.channel,
        customer_name=(
            display_name(parts.contact) if parts.contact else friendly_name(row.contact_id)
        ),
        status=cast(ConversationStatus, status),
        assignee_name=parts.assignee_name,
        assignee_slack_id=parts.assignee_slack_id,
        tags=tuple(await conversations.tags_of(tx, row.id)),
        lead_name=parts.lead_name,
        lead_stage=parts.lead_stage,
        team=parts.team_name,
        last_message=await shown_text(tx, newest) if newest is not None else None,
    )
