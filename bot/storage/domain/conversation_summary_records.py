"""What a conversation's summary shows besides the conversation itself: its customer,
assignee, team, newest lead and newest inbound message, as plain values."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.storage.domain.message_records import MessageText, newest_inbound
from bot.storage.models import Agent, Contact, Lead, Team
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class ContactName:
    """What a contact is called by (see :func:`bot.domain.contact_names.display_name`)."""

    id: int
    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class SummaryParts:
    contact: ContactName | None
    assignee_name: str | None
    assignee_slack_id: str | None
    team_name: str | None
    lead_name: str | None
    lead_stage: str | None
    newest_inbound: MessageText | None


async def summary_parts(
    tx: Tx, conversation_id: int, contact_id: int, assignee_id: int | None, team_id: int | None
) -> SummaryParts:
    """The parts of the conversation's summary that live in other rows."""
    contact = await tx.session.get(Contact, contact_id)
    assignee = await tx.session.get(Agent, assignee_id) if assignee_id else None
    team = await tx.session.get(Team, team_id) if team_id else None
    lead = await tx.session.scalar(
        select(Lead)
        .where(Lead.conversation_id == conversation_id)
        .order_by(Lead.id.desc())
        .limit(1)
    )
    newest = await newest_inbound(tx, conversation_id)
    return SummaryParts(
        contact=(
            None
            if contact is None
            else ContactName(contact.id, contact.name, contact.email, contact.phone)
        ),
        assignee_name=assignee.name if assignee else None,
        assignee_slack_id=assignee.slack_user_id if assignee else None,
        team_name=team.name if team else None,
        lead_name=lead.name if lead else None,
        lead_stage=lead.stage if lead else None,
        newest_inbound=newest,
    )
