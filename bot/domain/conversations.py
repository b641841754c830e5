"""Conversation services: assign, unassign, close, reopen, tag. Each records its event.

:func:`assign_by` and :func:`unassign_by` apply the console's rules on top: admins
assign to anyone, agents only take a conversation (claim) or give back their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import NotFoundError, RelaybotError, ValidationFailed
from bot.domain import audit
from bot.storage.domain.conversation_records import ConversationRecord
from bot.storage.domain.records import Records
from bot.storage.domain.sql_records import records_of
from bot.storage.uow import Tx
from workflows.event_names import EventType

CONVERSATION_UNASSIGNED = "conversation.unassigned"
"""Internal event: someone released a conversation in the console or the API (the live
inbox shows it)."""


class NotAllowed(RelaybotError):
    """The signed-in account may not do this (answered with 403)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Acting:
    """Who changes a conversation from the console or the API: their agent record (None
    for an account without one, or the bearer token), whether they are an admin, and
    how events and the audit log name them."""

    agent_id: int | None
    is_admin: bool
    by: str
    actor: audit.Actor

    def own_agent(self) -> int:
        """The acting account's agent id; NotAllowed when it has no agent record."""
        if self.agent_id is None:
            raise NotAllowed(
                "agent_id",
                "your account has no agent record: ask an admin to link one "
                "(an agent with your e-mail)",
            )
        return self.agent_id


async def get_record(
    source: Tx | Records, conversation_id: int, *, lock: bool = False
) -> ConversationRecord:
    """The conversation as a plain value (locked for update on PostgreSQL when ``lock``)."""
    return await _found(records_of(source), conversation_id, lock=lock)


async def _found(records: Records, conversation_id: int, *, lock: bool) -> ConversationRecord:
    conversation = await records.conversation(conversation_id, lock=lock)
    if conversation is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    return conversation


async def assign(
    source: Tx | Records,
    conversation_id: int,
    agent_id: int | None,
    *,
    team_id: int | None = None,
    by: str = "system",
) -> bool:
    """Assign to an agent (and/or team); False when it already was. Records conversation.assigned."""
    records = records_of(source)
    conversation = await _found(records, conversation_id, lock=True)
    if agent_id is not None and not await records.agent_exists(agent_id):
        raise ValidationFailed("agent_id", f"no agent {agent_id}")
    if team_id is not None and not await records.team_exists(team_id):
        raise ValidationFailed("team_id", f"no team {team_id}")
    if conversation.assignee_id == agent_id and (
        team_id is None or conversation.team_id == team_id
    ):
        return False
    await records.set_assignee(conversation_id, agent_id, team_id=team_id, at=records.now)
    if agent_id is not None:
        await records.set_agent_assigned_at(agent_id, records.now)
        records.record_event(
            EventType.CONVERSATION_ASSIGNED,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data={
                "agent_id": agent_id,
                "previous_agent_id": conversation.assignee_id,
                "team_id": conversation.team_id if team_id is None else team_id,
                "by": by,
            },
        )
    return True


async def unassign(source: Tx | Records, conversation_id: int, *, by: str = "system") -> bool:
    """Remove the assignee; False when there was none."""
    records = records_of(source)
    conversation = await _found(records, conversation_id, lock=True)
    if conversation.assignee_id is None:
        return False
    await records.set_assignee(conversation_id, None, team_id=None, at=records.now)
    return True


async def assign_by(
    tx: Tx, conversation_id: int, acting: Acting, agent_id: int | None, team_id: int | None
) -> bool:
    """Assign as ``acting`` may: an admin to any agent or team (audited as
    ``conversation.assigned`` unless they take it themselves), an agent only to
    themselves (a claim), and not a conversation another agent has."""
    if agent_id is None and team_id is None:
        return await unassign_by(tx, conversation_id, acting)
    conversation = await get_record(tx, conversation_id)
    own = agent_id is not None and agent_id == acting.agent_id and team_id is None
    if not acting.is_admin:
        if not own:
            raise NotAllowed("agent_id", "agents assign conversations only to themselves")
        if conversation.assignee_id not in (None, agent_id):
            raise NotAllowed("agent_id", "another agent has this conversation: ask an admin")
    changed = await assign(tx, conversation_id, agent_id, team_id=team_id, by=acting.by)
    if changed and acting.is_admin and not own:
        await audit.record(
            tx,
            acting.actor,
            audit.CONVERSATION_ASSIGNED,
            f"conversation:{conversation_id}",
            {
                "agent_id": agent_id,
                "team_id": team_id,
                "previous_agent_id": conversation.assignee_id,
            },
        )
    return changed


async def claim(tx: Tx, conversation_id: int, acting: Acting) -> bool:
    """Assign the conversation to the acting account's own agent."""
    return await assign_by(tx, conversation_id, acting, acting.own_agent(), None)


async def unassign_by(tx: Tx, conversation_id: int, acting: Acting) -> bool:
    """Remove the assignee: an agent only their own conversation, an admin any (audited
    when it was someone else's)."""
    conversation = await get_record(tx, conversation_id)
    mine = conversation.assignee_id is not None and conversation.assignee_id == acting.agent_id
    if not acting.is_admin and not mine and conversation.assignee_id is not None:
        raise NotAllowed("agent_id", "agents release only their own conversations")
    changed = await unassign(tx, conversation_id, by=acting.by)
    if changed:
        tx.writes.record_event(
            CONVERSATION_UNASSIGNED,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data={"previous_agent_id": conversation.assignee_id, "by": acting.by},
        )
    if changed and acting.is_admin and not mine:
        await audit.record(
            tx,
            acting.actor,
            audit.CONVERSATION_ASSIGNED,
            f"conversation:{conversation_id}",
            {"agent_id": None, "team_id": None, "previous_agent_id": conversation.assignee_id},
        )
    return changed


async def close(source: Tx | Records, conversation_id: int, *, by: str = "system") -> bool:
    """Close (resolve) the conversation; False when it already was. Records conversation.closed."""
    records = records_of(source)
    conversation = await _found(records, conversation_id, lock=True)
    if conversation.status == "closed":
        return False
    await records.set_status(conversation_id, "closed", closed_at=records.now, at=records.now)
    records.record_event(
        EventType.CONVERSATION_CLOSED,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        data={"by": by, "message_count": conversation.message_count},
    )
    return True


async def reopen(source: Tx | Records, conversation_id: int, *, by: str = "system") -> bool:
    """Reopen a closed conversation; False when it was open."""
    records = records_of(source)
    conversation = await _found(records, conversation_id, lock=True)
    if conversation.status != "closed":
        return False
    await records.set_status(conversation_id, "open", closed_at=None, at=records.now)
    records.record_event(
        EventType.CONVERSATION_REOPENED,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        data={"by": by},
    )
    return True


def _clean_tag(tag: str) -> str:
    cleaned = tag.strip()
    if not cleaned or len(cleaned) > 120:
        raise ValidationFailed("tag", "must be 1 to 120 characters")
    return cleaned


async def add_tag(
    source: Tx | Records, conversation_id: int, tag: str, *, by: str = "system"
) -> bool:
    """Tag the conversation; False when it already had the tag. Records tag.added."""
    name = _clean_tag(tag)
    records = records_of(source)
    conversation = await _found(records, conversation_id, lock=False)
    added = await records.add_conversation_tag(conversation_id, await records.ensure_tag(name))
    if added:
        records.record_event(
            EventType.TAG_ADDED,
            conversation_id=conversation_id,
            contact_id=conversation.contact_id,
            data={"tag": name, "by": by},
        )
    return added


async def remove_tag(
    source: Tx | Records, conversation_id: int, tag: str, *, by: str = "system"
) -> bool:
    """Untag the conversation; False when it did not have the tag."""
    name = _clean_tag(tag)
    records = records_of(source)
    conversation = await _found(records, conversation_id, lock=False)
    tag_id = await records.tag_id(name)
    if tag_id is None:
        return False
    removed = await records.remove_conversation_tag(conversation_id, tag_id)
    if removed:
        records.record_event(
            EventType.TAG_REMOVED,
            conversation_id=conversation_id,
            contact_id=conversation.contact_id,
            data={"tag": name, "by": by},
        )
    return removed


async def tags_of(source: Tx | Records, conversation_id: int) -> list[str]:
    return await records_of(source).tags_of(conversation_id)
