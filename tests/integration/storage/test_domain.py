"""Domain services: assignment strategies, tags, closing, lead pipeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from bot.core.clock import FakeClock
from bot.core.errors import UnknownStageError
from bot.domain import agents, conversations, leads
from bot.pipeline.services import Services
from bot.storage.domain import console_records
from bot.storage.models import Agent, Event, Lead, Team, TeamMember
from tests.integration.storage.test_inbox import inbound


async def add_agents(services: Services, *specs: tuple[str, bool, int]) -> list[int]:
    async with services.uow() as tx:
        rows = [Agent(name=n, available=a, capacity=c, roles=[]) for n, a, c in specs]
        tx.session.add_all(rows)
        await tx.session.flush()
        return [r.id for r in rows]


async def new_conversation(services: Services, n: int) -> int:
    result = await services.inbox.receive(inbound(f"m{n}", chat=f"chat{n}", sender=f"u{n}"))
    assert result.conversation_id is not None
    return result.conversation_id


async def pick(
    services: Services, strategy: agents.Strategy, team_id: int | None = None
) -> int | None:
    async with services.uow() as tx:
        agent = await agents.select_agent(tx, strategy=strategy, team_id=team_id)
        return agent.id if agent else None


async def test_round_robin_rotates_and_skips_unavailable(
    services: Services, clock: FakeClock
) -> None:
    a, b, _away = await add_agents(services, ("A", True, 5), ("B", True, 5), ("C", False, 5))
    chosen = []
    for n in range(4):
        conversation_id = await new_conversation(services, n)
        agent_id = await pick(services, "round_robin")
        assert agent_id is not None
        chosen.append(agent_id)
        clock.advance(timedelta(seconds=1))
        async with services.uow() as tx:
            await conversations.assign(tx, conversation_id, agent_id)
    assert chosen == [a, b, a, b]


async def test_least_busy_and_capacity(services: Services) -> None:
    a, b = await add_agents(services, ("A", True, 1), ("B", True, 3))
    first = await new_conversation(services, 1)
    async with services.uow() as tx:
        await conversations.assign(tx, first, b)
    assert await pick(services, "least_busy") == a
    second = await new_conversation(services, 2)
    async with services.uow() as tx:
        await conversations.assign(tx, second, a)
    # A is at capacity (1): only B can take more
    assert await pick(services, "least_busy") == b
    assert await pick(services, "round_robin") == b


async def test_team_selection_and_nobody_available(services: Services) -> None:
    a, b = await add_agents(services, ("A", True, 5), ("B", True, 5))
    async with services.uow() as tx:
        team = Team(name="billing")
        tx.session.add(team)
        await tx.session.flush()
        tx.session.add(TeamMember(team_id=team.id, agent_id=b))
        team_id = team.id
    assert await pick(services, "round_robin", team_id) == b
    async with services.uow() as tx:
        await agents.set_availability(tx, b, False)
    assert await pick(services, "round_robin", team_id) is None
    assert await pick(services, "least_busy") == a


async def test_assign_close_tag_record_events(services: Services) -> None:
    (a,) = await add_agents(services, ("A", True, 5))
    conversation_id = await new_conversation(services, 1)
    async with services.uow() as tx:
        assert await conversations.assign(tx, conversation_id, a, by="test")
        assert not await conversations.assign(tx, conversation_id, a)
        assert await conversations.add_tag(tx, conversation_id, "VIP")
        assert not await conversations.add_tag(tx, conversation_id, "VIP")
        assert await conversations.remove_tag(tx, conversation_id, "VIP")
        assert await conversations.close(tx, conversation_id)
        assert not await conversations.close(tx, conversation_id)
        assert await conversations.reopen(tx, conversation_id)
    async with services.db.session() as session:
        types = list(await session.scalars(select(Event.type).order_by(Event.id)))
    assert types[2:] == [
        "conversation.assigned",
        "tag.added",
        "tag.removed",
        "conversation.closed",
        "conversation.reopened",
    ]


async def test_lead_pipeline(services: Services) -> None:
    async with services.uow() as tx:
        lead = await leads.create_lead(
            tx, services.pipeline, name="Acme", expected_amount=Decimal("7500.50"), currency="eur"
        )
        assert lead.stage == "new" and lead.currency == "EUR"
        assert await leads.change_stage(tx, services.pipeline, lead.id, "qualified")
        assert not await leads.change_stage(tx, services.pipeline, lead.id, "qualified")
        with pytest.raises(UnknownStageError, match="unknown stage 'bogus'"):
            await leads.change_stage(tx, services.pipeline, lead.id, "bogus")
        lead_id = lead.id
    async with services.db.session() as session:
        events = list(
            await session.execute(select(Event.type, Event.data).where(Event.lead_id == lead_id))
        )
        stored = await session.get(Lead, lead_id)
    assert [e[0] for e in events] == ["lead.created", "lead.stage_changed"]
    assert events[1][1]["from_stage"] == "new" and events[1][1]["to_stage"] == "qualified"
    assert stored is not None and stored.expected_amount == Decimal("7500.50")


async def test_a_conversation_read_after_the_changes_shows_them_without_a_query(
    services: Services,
) -> None:
    """Repositories hand out values, not rows: a caller reads the conversation again after
    the services change it, and that read by id is answered by the transaction."""
    (a,) = await add_agents(services, ("A", True, 5))
    conversation_id = await new_conversation(services, 1)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = services.db.engine.sync_engine
    async with services.uow() as tx:
        before = await conversations.get_record(tx, conversation_id, lock=True)
        await conversations.assign(tx, conversation_id, a)
        await conversations.close(tx, conversation_id)
        await agents.set_availability(tx, a, False)
        event.listen(engine, "before_cursor_execute", record)
        try:
            after = await console_records.conversation(tx, conversation_id)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        closed = await conversations.get_record(tx, conversation_id)
    assert (before.assignee_id, before.status, before.closed_at) == (None, "open", None)
    assert after is not None and (after.assignee_id, after.status) == (a, "closed")
    assert statements == []
    assert closed.closed_at == tx.now
    async with services.db.session() as session:
        agent = await session.get(Agent, a)
    assert agent is not None and (agent.available, agent.last_assigned_at) == (False, tx.now)


async def test_choosing_then_assigning_reads_each_row_once(services: Services) -> None:
    """The repositories keep the rows they read for the transaction: assigning the agent
    just chosen does not read the agent again."""
    (a,) = await add_agents(services, ("A", True, 5))
    conversation_id = await new_conversation(services, 1)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with services.uow() as tx:
            agent = await agents.select_agent(tx)
            assert agent is not None and agent.id == a
            assert await conversations.assign(tx, conversation_id, agent.id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert sum("FROM agents" in s for s in selects) == 1
    assert sum("FROM conversations" in s for s in selects) == 2  # the open load, the locked read
