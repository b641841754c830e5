"""The record repositories on the database, bound to one open transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.storage.domain import agent_records, conversation_records, lead_records
from bot.storage.domain.agent_records import AgentRecord, TeamRecord
from bot.storage.domain.conversation_records import ConversationRecord
from bot.storage.domain.lead_records import LeadRecord, NewLead
from bot.storage.domain.records import Records
from bot.storage.uow import Tx


class SqlRecords:
    """:class:`~bot.storage.domain.records.Records` in the transaction ``tx``; its events are
    stored with the transaction."""

    __slots__ = ("tx",)

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    @property
    def now(self) -> datetime:
        return self.tx.now

    def record_event(
        self,
        type_: str,
        *,
        conversation_id: int | None = None,
        contact_id: int | None = None,
        lead_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.tx.writes.record_event(
            type_,
            conversation_id=conversation_id,
            contact_id=contact_id,
            lead_id=lead_id,
            data=data,
        )

    async def available_agents(self, team_id: int | None = None) -> list[AgentRecord]:
        return await agent_records.available_agents(self.tx, team_id)

    async def open_load(self) -> dict[int, int]:
        return await agent_records.open_load(self.tx)

    async def team_named(self, name: str) -> TeamRecord | None:
        return await agent_records.team_named(self.tx, name)

    async def agent_exists(self, agent_id: int) -> bool:
        return await agent_records.agent_exists(self.tx, agent_id)

    async def team_exists(self, team_id: int) -> bool:
        return await agent_records.team_exists(self.tx, team_id)

    async def set_agent_available(self, agent_id: int, available: bool) -> bool:
        return await agent_records.set_agent_available(self.tx, agent_id, available)

    async def set_agent_assigned_at(self, agent_id: int, at: datetime) -> None:
        await agent_records.set_agent_assigned_at(self.tx, agent_id, at)

    async def conversation(
        self, conversation_id: int, *, lock: bool = False
    ) -> ConversationRecord | None:
        return await conversation_records.conversation(self.tx, conversation_id, lock=lock)

    async def set_assignee(
        self, conversation_id: int, agent_id: int | None, *, team_id: int | None, at: datetime
    ) -> None:
        await conversation_records.set_assignee(
            self.tx, conversation_id, agent_id, team_id=team_id, at=at
        )

    async def set_status(
        self, conversation_id: int, status: str, *, closed_at: datetime | None, at: datetime
    ) -> None:
        await conversation_records.set_status(
            self.tx, conversation_id, status, closed_at=closed_at, at=at
        )

    async def tag_id(self, name: str) -> int | None:
        return await conversation_records.tag_id(self.tx, name)

    async def ensure_tag(self, name: str) -> int:
        return await conversation_records.ensure_tag(self.tx, name)

    async def add_conversation_tag(self, conversation_id: int, tag: int) -> bool:
        return await conversation_records.add_conversation_tag(self.tx, conversation_id, tag)

    async def remove_conversation_tag(self, conversation_id: int, tag: int) -> bool:
        return await conversation_records.remove_conversation_tag(self.tx, conversation_id, tag)

    async def tags_of(self, conversation_id: int) -> list[str]:
        return await conversation_records.tags_of(self.tx, conversation_id)

    async def add_lead(self, new: NewLead, at: datetime) -> LeadRecord:
        return await lead_records.add_lead(self.tx, new, at)

    async def lead(self, lead_id: int, *, lock: bool = False) -> LeadRecord | None:
        return await lead_records.lead(self.tx, lead_id, lock=lock)

    async def set_lead_stage(self, lead_id: int, stage: str, at: datetime) -> None:
        await lead_records.set_lead_stage(self.tx, lead_id, stage, at)


def records_of(source: Tx | Records) -> Records:
    """The repositories of an open transaction (a repository is handed back as it is)."""
    return SqlRecords(source) if isinstance(source, Tx) else source
