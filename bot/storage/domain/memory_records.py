"""The in-memory twin of :class:`~bot.storage.domain.sql_records.SqlRecords`, for tests.

It keeps agents, teams, conversations, tags and leads in dictionaries and the events
it is told in :attr:`MemoryRecords.events`; ``tests/integration/storage/
test_record_contract.py`` runs it through the same contract as the database.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.storage.domain.agent_records import AgentRecord, TeamRecord
from bot.storage.domain.conversation_records import ConversationRecord
from bot.storage.domain.lead_records import LeadRecord, NewLead


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    type: str
    conversation_id: int | None
    contact_id: int | None
    lead_id: int | None
    data: dict[str, Any]


@dataclass
class MemoryRecords:
    """:class:`~bot.storage.domain.records.Records` in dictionaries; set :attr:`now` to move time."""

    now: datetime
    events: list[RecordedEvent] = field(default_factory=list)
    agents: dict[int, AgentRecord] = field(default_factory=dict)
    teams: dict[int, TeamRecord] = field(default_factory=dict)
    members: set[tuple[int, int]] = field(default_factory=set)
    """(team id, agent id) pairs."""
    conversations: dict[int, ConversationRecord] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    conversation_tags: set[tuple[int, int]] = field(default_factory=set)
    """(conversation id, tag id) pairs."""
    leads: dict[int, LeadRecord] = field(default_factory=dict)
    _ids: itertools.count[int] = field(init=False, default_factory=lambda: itertools.count(1))

    # what a test puts in place first

    def add_agent(
        self,
        name: str,
        *,
        available: bool = True,
        capacity: int = 10,
        last_assigned_at: datetime | None = None,
    ) -> int:
        agent = AgentRecord(next(self._ids), name, available, capacity, last_assigned_at)
        self.agents[agent.id] = agent
        return agent.id

    def add_team(self, name: str, members: list[int]) -> int:
        team = TeamRecord(next(self._ids), name)
        self.teams[team.id] = team
        self.members.update((team.id, agent_id) for agent_id in members)
        return team.id

    def add_conversation(
        self, contact_id: int, *, status: str = "open", assignee_id: int | None = None
    ) -> int:
        conversation = ConversationRecord(
            id=next(self._ids),
            contact_id=contact_id,
            channel="test",
            status=status,
            assignee_id=assignee_id,
            team_id=None,
            message_count=0,
            last_activity_at=self.now,
            closed_at=None,
        )
        self.conversations[conversation.id] = conversation
        return conversation.id

    # Changes

    def record_event(
        self,
        type_: str,
        *,
        conversation_id: int | None = None,
        contact_id: int | None = None,
        lead_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(
            RecordedEvent(str(type_), conversation_id, contact_id, lead_id, data or {})
        )

    # AgentRecords

    async def available_agents(self, team_id: int | None = None) -> list[AgentRecord]:
        return [
            agent
            for _, agent in sorted(self.agents.items())
            if agent.available and (team_id is None or (team_id, agent.id) in self.members)
        ]

    async def open_load(self) -> dict[int, int]:
        load: dict[int, int] = {}
        for c in self.conversations.values():
            if c.status == "open" and c.assignee_id is not None:
                load[c.assignee_id] = load.get(c.assignee_id, 0) + 1
        return load

    async def team_named(self, name: str) -> TeamRecord | None:
        return next((t for t in self.teams.values() if t.name == name), None)

    async def agent_exists(self, agent_id: int) -> bool:
        return agent_id in self.agents

    async def team_exists(self, team_id: int) -> bool:
        return team_id in self.teams

    async def set_agent_available(self, agent_id: int, available: bool) -> bool:
        agent = self.agents.get(agent_id)
        if agent is None:
            return False
        self.agents[agent_id] = replace(agent, available=available)
        return True

    async def set_agent_assigned_at(self, agent_id: int, at: datetime) -> None:
        self.agents[agent_id] = replace(self.agents[agent_id], last_assigned_at=at)

    # ConversationRecords

    async def conversation(
        self, conversation_id: int, *, lock: bool = False
    ) -> ConversationRecord | None:
        return self.conversations.get(conversation_id)

    async def set_assignee(
        self, conversation_id: int, agent_id: int | None, *, team_id: int | None, at: datetime
    ) -> None:
        row = self.conversations[conversation_id]
        self.conversations[conversation_id] = replace(
            row,
            assignee_id=agent_id,
            team_id=row.team_id if team_id is None else team_id,
            last_activity_at=at,
        )

    async def set_status(
        self, conversation_id: int, status: str, *, closed_at: datetime | None, at: datetime
    ) -> None:
        self.conversations[conversation_id] = replace(
            self.conversations[conversation_id],
            status=status,
            closed_at=closed_at,
            last_activity_at=at,
        )

    async def tag_id(self, name: str) -> int | None:
        return self.tags.get(name)

    async def ensure_tag(self, name: str) -> int:
        return self.tags.setdefault(name, next(self._ids))

    async def add_conversation_tag(self, conversation_id: int, tag: int) -> bool:
        pair = (conversation_id, tag)
        if pair in self.conversation_tags:
            return False
        self.conversation_tags.add(pair)
        return True

    async def remove_conversation_tag(self, conversation_id: int, tag: int) -> bool:
        pair = (conversation_id, tag)
        if pair not in self.conversation_tags:
            return False
        self.conversation_tags.remove(pair)
        return True

    async def tags_of(self, conversation_id: int) -> list[str]:
        return sorted(
            name
            for name, id_ in self.tags.items()
            if (conversation_id, id_) in self.conversation_tags
        )

    # LeadRecords

    async def add_lead(self, new: NewLead, at: datetime) -> LeadRecord:
        lead = LeadRecord(
            id=next(self._ids),
            name=new.name,
            stage=new.stage,
            contact_id=new.contact_id,
            conversation_id=new.conversation_id,
            expected_amount=new.expected_amount,
            currency=new.currency,
            owner_id=new.owner_id,
            tags=(),
            created_at=at,
            updated_at=at,
        )
        self.leads[lead.id] = lead
        return lead

    async def lead(self, lead_id: int, *, lock: bool = False) -> LeadRecord | None:
        return self.leads.get(lead_id)

    async def set_lead_stage(self, lead_id: int, stage: str, at: datetime) -> None:
        self.leads[lead_id] = replace(self.leads[lead_id], stage=stage, updated_at=at)
