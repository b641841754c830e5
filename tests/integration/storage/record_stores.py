"""The record repositories on each backend, behind one small interface for the contract
tests: seed agents, teams and conversations, open a unit of work, read the events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.signals import Signals
from bot.storage.db import Database
from bot.storage.domain.memory_records import MemoryRecords
from bot.storage.domain.records import Records
from bot.storage.domain.sql_records import SqlRecords
from bot.storage.models import Agent, Contact, Conversation, Event, Team, TeamMember
from bot.storage.uow import UnitOfWork

StoredEvent = tuple[str, int | None, int | None, int | None, dict[str, Any]]
"""type, conversation id, contact id, lead id, data."""


class RecordStore(Protocol):
    clock: FakeClock

    async def add_agent(
        self,
        name: str,
        *,
        available: bool = True,
        capacity: int = 10,
        last_assigned_at: datetime | None = None,
    ) -> int: ...

    async def add_team(self, name: str, members: list[int]) -> int: ...

    async def add_conversation(
        self, *, status: str = "open", assignee_id: int | None = None
    ) -> int: ...

    def records(self) -> AbstractAsyncContextManager[Records]:
        """One unit of work (one transaction on a database)."""

    async def events(self) -> list[StoredEvent]: ...


class MemoryStore:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.memory = MemoryRecords(clock.now())
        self._contacts = 100

    async def add_agent(
        self,
        name: str,
        *,
        available: bool = True,
        capacity: int = 10,
        last_assigned_at: datetime | None = None,
    ) -> int:
        return self.memory.add_agent(
            name, available=available, capacity=capacity, last_assigned_at=last_assigned_at
        )

    async def add_team(self, name: str, members: list[int]) -> int:
        return self.memory.add_team(name, members)

    async def add_conversation(
        self, *, status: str = "open", assignee_id: int | None = None
    ) -> int:
        self._contacts += 1
        self.memory.now = self.clock.now()
        return self.memory.add_conversation(self._contacts, status=status, assignee_id=assignee_id)

    @asynccontextmanager
    async def records(self) -> AsyncIterator[Records]:
        self.memory.now = self.clock.now()
        yield self.memory

    async def events(self) -> list[StoredEvent]:
        return [
            (e.type, e.conversation_id, e.contact_id, e.lead_id, e.data) for e in self.memory.events
        ]


class SqlStore:
    def __init__(self, db: Database, clock: FakeClock) -> None:
        self.clock = clock
        self.db = db
        self.uow = UnitOfWork(db, clock, Signals())
        self._numbers = 0

    async def add_agent(
        self,
        name: str,
        *,
        available: bool = True,
        capacity: int = 10,
        last_assigned_at: datetime | None = None,
    ) -> int:
        async with self.db.session() as session:
            agent = Agent(
                name=name,
                available=available,
                capacity=capacity,
                last_assigned_at=last_assigned_at,
                roles=[],
            )
            session.add(agent)
            await session.flush()
            return agent.id

    async def add_team(self, name: str, members: list[int]) -> int:
        async with self.db.session() as session:
            team = Team(name=name)
            session.add(team)
            await session.flush()
            session.add_all(TeamMember(team_id=team.id, agent_id=m) for m in members)
            return team.id

    async def add_conversation(
        self, *, status: str = "open", assignee_id: int | None = None
    ) -> int:
        self._numbers += 1
        now = self.clock.now()
        async with self.db.session() as session:
            contact = Contact(name=f"customer {self._numbers}", attributes={})
            session.add(contact)
            await session.flush()
            conversation = Conversation(
                contact_id=contact.id,
                channel="test",
                external_id=f"chat{self._numbers}",
                status=status,
                assignee_id=assignee_id,
                message_count=0,
                attributes={},
                last_activity_at=now,
                created_at=now,
            )
            session.add(conversation)
            await session.flush()
            return conversation.id

    @asynccontextmanager
    async def records(self) -> AsyncIterator[Records]:
        async with self.uow() as tx:
            yield SqlRecords(tx)

    async def events(self) -> list[StoredEvent]:
        async with self.db.session() as session:
            rows = await session.scalars(select(Event).order_by(Event.id))
            return [(e.type, e.conversation_id, e.contact_id, e.lead_id, e.data) for e in rows]
