"""Conversation rows flattened into :class:`~bot.core.console_views.ConversationSummary`."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select

from bot.core.console_views import ConversationStatus, ConversationSummary
from bot.domain import conversations
from bot.domain.contact_names import display_name, friendly_name
from bot.domain.message_labels import shown_text
from bot.storage.models import Agent, Contact, Conversation, Lead, Message, Team
from bot.storage.uow import Tx


async def summarize(tx: Tx, row: Conversation) -> ConversationSummary:
    """``row`` with its customer, assignee, team, tags, newest lead and newest inbound text."""
    contact = await tx.session.get(Contact, row.contact_id)
    assignee = await tx.session.get(Agent, row.assignee_id) if row.assignee_id else None
    team = await tx.session.get(Team, row.team_id) if row.team_id else None
    lead = await tx.session.scalar(
        select(Lead).where(Lead.conversation_id == row.id).order_by(Lead.id.desc()).limit(1)
    )
    newest = await tx.session.scalar(
        select(Message)
        .where(Message.conversation_id == row.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    status = row.status if row.status in ("open", "pending", "closed") else "open"
    return ConversationSummary(
        id=str(row.id),
        channel=row.channel,
        customer_name=display_name(contact) if contact else friendly_name(row.contact_id),
        status=cast(ConversationStatus, status),
        assignee_name=assignee.name if assignee else None,
        assignee_slack_id=assignee.slack_user_id if assignee else None,
        tags=tuple(await conversations.tags_of(tx, row.id)),
        lead_name=lead.name if lead else None,
        lead_stage=lead.stage if lead else None,
        team=team.name if team else None,
        last_message=await shown_text(tx, newest) if newest is not None else None,
    )
