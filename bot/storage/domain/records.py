"""The repositories the domain's agents, conversations and leads work through.

Each is a protocol with two implementations that pass the same contract tests
(``tests/integration/storage/test_record_contract.py``): :class:`~bot.storage.domain.sql_records.
SqlRecords`, bound to an open transaction, and :class:`~bot.storage.domain.memory_records.
MemoryRecords`, its in-memory twin. Values come out as frozen dataclasses; changes go
in through named update methods. A change's domain events are recorded through the
same object, so they are kept with the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bot.storage.domain.agent_records import AgentRecord, TeamRecord
from bot.storage.domain.conversation_records import ConversationRecord
from bot.storage.domain.lead_records import LeadRecord, NewLead


class Changes(Protocol):
    """The time of a change and the events it records."""

    @property
    def now(self) -> datetime: ...

    def record_event(
        self,
        type_: str,
        *,
        conversation_id: int | None = None,
        contact_id: int | None = None,
        lead_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None: ...


class AgentRecords(Changes, Protocol):
    async def available_agents(self, team_id: int | None = None) -> list[AgentRecord]:
        """The available agents (members of ``team_id`` when given), by id."""

    async def open_load(self) -> dict[int, int]:
        """Open conversations per agent (agents with none are left out)."""

    async def team_named(self, name: str) -> TeamRecord | None: ...

    async def agent_exists(self, agent_id: int) -> bool: ...

    async def team_exists(self, team_id: int) -> bool: ...

    async def set_agent_available(self, agent_id: int, available: bool) -> bool:
        """False when there is no such agent."""

    async def set_agent_assigned_at(self, agent_id: int, at: datetime) -> None: ...


class ConversationRecords(Changes, Protocol):
    async def conversation(
        self, conversation_id: int, *, lock: bool = False
    ) -> ConversationRecord | None:
        """The conversation (locked for update when ``lock`` and the store can)."""

    async def set_assignee(
        self, conversation_id: int, agent_id: int | None, *, team_id: int | None, at: datetime
    ) -> None:
        """Assign to ``agent_id`` (None: nobody); ``team_id`` None leaves the team."""

    async def set_status(
        self, conversation_id: int, status: str, *, closed_at: datetime | None, at: datetime
    ) -> None: ...

    async def tag_id(self, name: str) -> int | None: ...

    async def ensure_tag(self, name: str) -> int:
        """The tag's id, stored first when new."""

    async def add_conversation_tag(self, conversation_id: int, tag: int) -> bool:
        """False when the conversation had the tag."""

    async def remove_conversation_tag(self, conversation_id: int, tag: int) -> bool:
        """False when the conversation did not have the tag."""

    async def tags_of(self, conversation_id: int) -> list[str]:
        """Tag names, sorted."""


class LeadRecords(Changes, Protocol):
    async def add_lead(self, new: NewLead, at: datetime) -> LeadRecord: ...

    async def lead(self, lead_id: int, *, lock: bool = False) -> LeadRecord | None: ...

    async def set_lead_stage(self, lead_id: int, stage: str, at: datetime) -> None: ...


class Records(AgentRecords, ConversationRecords, LeadRecords, Protocol):
    """Everything the agent, conversation and lead services use."""
