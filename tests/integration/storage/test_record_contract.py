"""One contract for the record repositories and the services built on them, run against
the in-memory twin, SQLite and (when RELAYBOT_TEST_POSTGRES_URL is set) PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import NotFoundError, UnknownStageError, ValidationFailed
from bot.domain import agents, conversations, leads
from bot.storage.db import Database
from bot.storage.domain.lead_records import NewLead
from tests.conftest import make_settings
from tests.db_support import PostgresDatabase, SqliteTemplate, postgres_url
from tests.integration.storage.record_stores import MemoryStore, RecordStore, SqlStore

STORES = ["memory", "sqlite", *(["postgres"] if postgres_url() else [])]
PIPELINE = leads.Pipeline(["new", "qualified", "won"])


@pytest.fixture(params=STORES)
async def store(
    request: pytest.FixtureRequest,
    clock: FakeClock,
    sqlite_template: SqliteTemplate,
    postgres_database: PostgresDatabase | None,
) -> AsyncIterator[RecordStore]:
    if request.param == "memory":
        yield MemoryStore(clock)
        return
    if request.param == "sqlite":
        url = sqlite_template.fresh_url()
    else:
        assert postgres_database is not None
        await postgres_database.truncate()
        url = postgres_database.url
    db = Database(make_settings(url))
    try:
        yield SqlStore(db, clock)
    finally:
        await db.close()


async def pick(
    store: RecordStore, strategy: agents.Strategy = "round_robin", team_id: int | None = None
) -> int | None:
    async with store.records() as records:
        agent = await agents.select_agent(records, strategy=strategy, team_id=team_id)
        return None if agent is None else agent.id


# the repositories


async def test_agents_teams_and_load(store: RecordStore) -> None:
    a = await store.add_agent("A", capacity=3)
    b = await store.add_agent("B", available=False)
    c = await store.add_agent("C")
    team = await store.add_team("billing", [b, c])
    await store.add_conversation(assignee_id=a)
    await store.add_conversation(assignee_id=a)
    await store.add_conversation(assignee_id=c)
    await store.add_conversation(assignee_id=c, status="closed")
    await store.add_conversation()
    async with store.records() as records:
        available = await records.available_agents()
        assert [(x.id, x.name, x.capacity, x.available) for x in available] == [
            (a, "A", 3, True),
            (c, "C", 10, True),
        ]
        assert [x.id for x in await records.available_agents(team)] == [c]
        assert await records.open_load() == {a: 2, c: 1}
        found = await records.team_named("billing")
        assert found is not None and (found.id, found.name) == (team, "billing")
        assert await records.team_named("sales") is None
        assert await records.agent_exists(b) and not await records.agent_exists(c + 1000)
        assert await records.team_exists(team) and not await records.team_exists(team + 1000)
        assert await records.set_agent_available(b, True)
        assert not await records.set_agent_available(c + 1000, True)
        await records.set_agent_assigned_at(c, store.clock.now())
    async with store.records() as records:
        assert [x.id for x in await records.available_agents(team)] == [b, c]
        latest = {x.id: x.last_assigned_at for x in await records.available_agents()}
        assert latest == {a: None, b: None, c: store.clock.now()}


async def test_conversation_changes_are_kept(store: RecordStore) -> None:
    agent = await store.add_agent("A")
    team = await store.add_team("billing", [agent])
    conversation_id = await store.add_conversation()
    later = store.clock.advance(timedelta(minutes=5))
    async with store.records() as records:
        assert await records.conversation(conversation_id + 1000) is None
        before = await records.conversation(conversation_id, lock=True)
        assert before is not None
        assert (before.status, before.assignee_id, before.team_id) == ("open", None, None)
        await records.set_assignee(conversation_id, agent, team_id=team, at=later)
    async with store.records() as records:
        await records.set_assignee(conversation_id, None, team_id=None, at=later)
    async with store.records() as records:
        row = await records.conversation(conversation_id)
        assert row is not None
        assert (row.assignee_id, row.team_id, row.last_activity_at) == (None, team, later)
        await records.set_status(conversation_id, "closed", closed_at=later, at=later)
    async with store.records() as records:
        row = await records.conversation(conversation_id)
        assert row is not None and (row.status, row.closed_at) == ("closed", later)
        assert row.contact_id == before.contact_id and row.channel == "test"


async def test_tags(store: RecordStore) -> None:
    first = await store.add_conversation()
    second = await store.add_conversation()
    async with store.records() as records:
        assert await records.tag_id("vip") is None
        vip = await records.ensure_tag("vip")
        assert await records.ensure_tag("vip") == vip
        assert await records.tag_id("vip") == vip
        late = await records.ensure_tag("late")
        assert late != vip
        assert await records.add_conversation_tag(first, vip)
        assert not await records.add_conversation_tag(first, vip)
        assert await records.add_conversation_tag(first, late)
        assert await records.add_conversation_tag(second, late)
    async with store.records() as records:
        assert await records.tags_of(first) == ["late", "vip"]
        assert await records.remove_conversation_tag(first, vip)
        assert not await records.remove_conversation_tag(first, vip)
    async with store.records() as records:
        assert await records.tags_of(first) == ["late"]
        assert await records.tags_of(second) == ["late"]


async def test_leads(store: RecordStore) -> None:
    conversation_id = await store.add_conversation()
    new = NewLead("Acme", "new", None, conversation_id, Decimal("12.50"), "EUR", None)
    async with store.records() as records:
        lead = await records.add_lead(new, store.clock.now())
        assert (lead.name, lead.stage, lead.conversation_id, lead.tags) == (
            "Acme",
            "new",
            conversation_id,
            (),
        )
        assert await records.lead(lead.id + 1000) is None
    later = store.clock.advance(timedelta(hours=1))
    async with store.records() as records:
        assert await records.lead(lead.id, lock=True) == lead
        await records.set_lead_stage(lead.id, "won", later)
    async with store.records() as records:
        stored = await records.lead(lead.id)
        assert stored is not None
        assert (stored.stage, stored.updated_at, stored.created_at) == (
            "won",
            later,
            lead.created_at,
        )
        assert stored.expected_amount == Decimal("12.50") and stored.currency == "EUR"


# the services on top


async def test_round_robin_rotates_and_skips_the_unavailable(store: RecordStore) -> None:
    a = await store.add_agent("A")
    b = await store.add_agent("B")
    await store.add_agent("C", available=False)
    chosen = []
    for _ in range(4):
        conversation_id = await store.add_conversation()
        agent_id = await pick(store)
        assert agent_id is not None
        chosen.append(agent_id)
        store.clock.advance(timedelta(seconds=1))
        async with store.records() as records:
            assert await conversations.assign(records, conversation_id, agent_id)
    assert chosen == [a, b, a, b]


async def test_least_busy_breaks_ties_round_robin_and_respects_capacity(
    store: RecordStore,
) -> None:
    a = await store.add_agent("A", capacity=1)
    b = await store.add_agent("B", capacity=3)
    c = await store.add_agent("C", capacity=3, last_assigned_at=store.clock.now())
    await store.add_conversation(assignee_id=b)
    assert await pick(store, "least_busy") == a  # A and C have none; A waited longest
    await store.add_conversation(assignee_id=a)
    assert await pick(store, "least_busy") == c  # A is full
    assert await pick(store, "round_robin") == b  # B was never assigned: longest ago
    await store.add_conversation(assignee_id=b, status="closed")
    await store.add_conversation(assignee_id=b)
    await store.add_conversation(assignee_id=b)
    await store.add_conversation(assignee_id=c)
    await store.add_conversation(assignee_id=c)
    await store.add_conversation(assignee_id=c)
    assert await pick(store, "least_busy") is None  # everyone is full


async def test_team_filter_and_availability(store: RecordStore) -> None:
    a = await store.add_agent("A")
    b = await store.add_agent("B")
    team = await store.add_team("billing", [b])
    async with store.records() as records:
        found = await agents.team_by_name(records, "billing")
        assert found is not None and found.id == team
        assert await agents.team_by_name(records, "nobody") is None
    assert await pick(store, team_id=team) == b
    async with store.records() as records:
        await agents.set_availability(records, b, False)
    assert await pick(store, team_id=team) is None
    assert await pick(store, "least_busy") == a
    async with store.records() as records:
        with pytest.raises(NotFoundError):
            await agents.set_availability(records, b + 1000, True)
        with pytest.raises(ValidationFailed, match="unknown strategy"):
            await agents.select_agent(records, strategy="fastest")  # type: ignore[arg-type]


async def test_assign_and_unassign(store: RecordStore) -> None:
    a = await store.add_agent("A")
    b = await store.add_agent("B")
    team = await store.add_team("billing", [a, b])
    conversation_id = await store.add_conversation()
    first = store.clock.now()
    async with store.records() as records:
        contact_id = (await conversations.get_record(records, conversation_id)).contact_id
        assert await conversations.assign(records, conversation_id, a, by="test")
        assert not await conversations.assign(records, conversation_id, a)
        with pytest.raises(ValidationFailed, match="no agent"):
            await conversations.assign(records, conversation_id, b + 1000)
        with pytest.raises(ValidationFailed, match="no team"):
            await conversations.assign(records, conversation_id, a, team_id=team + 1000)
        with pytest.raises(NotFoundError):
            await conversations.assign(records, conversation_id + 1000, a)
    later = store.clock.advance(timedelta(minutes=1))
    async with store.records() as records:
        assert await conversations.assign(records, conversation_id, b, team_id=team, by="lead")
        assert await conversations.assign(records, conversation_id, b, team_id=team) is False
    async with store.records() as records:
        assert await conversations.unassign(records, conversation_id)
        assert not await conversations.unassign(records, conversation_id)
        row = await conversations.get_record(records, conversation_id)
        assert (row.assignee_id, row.team_id) == (None, team)
        chosen = {x.id: x.last_assigned_at for x in await records.available_agents()}
        assert chosen == {a: first, b: later}
    assert await store.events() == [
        (
            "conversation.assigned",
            conversation_id,
            contact_id,
            None,
            {"agent_id": a, "previous_agent_id": None, "team_id": None, "by": "test"},
        ),
        (
            "conversation.assigned",
            conversation_id,
            contact_id,
            None,
            {"agent_id": b, "previous_agent_id": a, "team_id": team, "by": "lead"},
        ),
    ]


async def test_close_reopen_and_tags_record_events(store: RecordStore) -> None:
    conversation_id = await store.add_conversation()
    closed_at = store.clock.now()
    async with store.records() as records:
        contact_id = (await conversations.get_record(records, conversation_id)).contact_id
        assert await conversations.close(records, conversation_id, by="agent")
        assert not await conversations.close(records, conversation_id)
    async with store.records() as records:
        row = await conversations.get_record(records, conversation_id)
        assert (row.status, row.closed_at) == ("closed", closed_at)
        assert await conversations.reopen(records, conversation_id)
        assert not await conversations.reopen(records, conversation_id)
        assert await conversations.add_tag(records, conversation_id, "  vip ")
        assert not await conversations.add_tag(records, conversation_id, "vip")
        assert not await conversations.remove_tag(records, conversation_id, "unknown")
        with pytest.raises(ValidationFailed, match="tag"):
            await conversations.add_tag(records, conversation_id, "   ")
    async with store.records() as records:
        assert await conversations.tags_of(records, conversation_id) == ["vip"]
        assert await conversations.remove_tag(records, conversation_id, "vip")
        assert not await conversations.remove_tag(records, conversation_id, "vip")
        row = await conversations.get_record(records, conversation_id)
        assert (row.status, row.closed_at) == ("open", None)
    assert [(e[0], e[1], e[2], e[4]) for e in await store.events()] == [
        ("conversation.closed", conversation_id, contact_id, {"by": "agent", "message_count": 0}),
        ("conversation.reopened", conversation_id, contact_id, {"by": "system"}),
        ("tag.added", conversation_id, contact_id, {"tag": "vip", "by": "system"}),
        ("tag.removed", conversation_id, contact_id, {"tag": "vip", "by": "system"}),
    ]


async def test_lead_stage_changes(store: RecordStore) -> None:
    conversation_id = await store.add_conversation()
    async with store.records() as records:
        lead = await leads.create_lead(
            records,
            PIPELINE,
            name="Acme",
            conversation_id=conversation_id,
            expected_amount=Decimal("7500.505"),
            currency="eur",
        )
        assert (lead.stage, lead.currency, lead.expected_amount) == (
            "new",
            "EUR",
            Decimal("7500.50"),
        )
        with pytest.raises(UnknownStageError):
            await leads.create_lead(records, PIPELINE, name="Bogus", stage="lost")
    async with store.records() as records:
        assert await leads.change_stage(records, PIPELINE, lead.id, "qualified", by="agent")
        assert not await leads.change_stage(records, PIPELINE, lead.id, "qualified")
        with pytest.raises(UnknownStageError, match="unknown stage 'bogus'"):
            await leads.change_stage(records, PIPELINE, lead.id, "bogus")
        with pytest.raises(NotFoundError):
            await leads.change_stage(records, PIPELINE, lead.id + 1000, "won")
    async with store.records() as records:
        stored = await records.lead(lead.id)
        assert stored is not None and stored.stage == "qualified"
    assert await store.events() == [
        ("lead.created", conversation_id, None, lead.id, {"stage": "new", "to_stage": "new"}),
        (
            "lead.stage_changed",
            conversation_id,
            None,
            lead.id,
            {"from_stage": "new", "to_stage": "qualified", "by": "agent"},
        ),
    ]
