"""Run rows and the rows of run contexts, read and written through their storage modules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.pipeline.services import Services
from bot.storage.domain.conversation_records import ConversationRow
from bot.storage.models import (
    Agent,
    Contact,
    Conversation,
    ConversationTag,
    Lead,
    Message,
    Tag,
    Team,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)
from bot.storage.pipeline.run_context_queries import (
    AgentRow,
    MessageRow,
    TeamRow,
    agents_by_id,
    contacts_by_id,
    conversations_by_id,
    latest_leads_of,
    leads_by_id,
    messages_by_id,
    tags_of,
    teams_by_id,
)
from bot.storage.pipeline.run_records import (
    RunRecord,
    StaleRunError,
    calling_runs,
    conversation_to_reply,
    conversations_of_runs,
    newest_message_ids,
    run_reader,
    runs_with_state,
    write_runs,
)

STATE = {"engine": {"cursor": "a"}}


async def _stored(services: Services) -> dict[str, int]:
    """A contact's conversation with two messages, a lead, a tag, an agent and team, and
    three runs: one waiting, one calling, one without a state."""
    async with services.uow() as tx:
        session = tx.session
        agent, team = Agent(name="Eve", email="eve@example.com"), Team(name="sales")
        contact = Contact(name="Ada", email="ada@example.com")
        workflow = Workflow(name="greet", trigger_event="conversation.created")
        tag = Tag(name="vip")
        session.add_all([agent, team, contact, workflow, tag])
        await session.flush()
        version = WorkflowVersion(workflow_id=workflow.id, version=1, definition={}, checksum="x")
        conversation = Conversation(
            contact_id=contact.id,
            channel="test",
            external_id="chat-1",
            assignee_id=agent.id,
            team_id=team.id,
        )
        session.add_all([version, conversation])
        await session.flush()
        first = Message(
            conversation_id=conversation.id, direction="in", sender_kind="customer", text="hi"
        )
        session.add(first)
        await session.flush()
        last = Message(conversation_id=conversation.id, direction="out", sender_kind="bot")
        lead = Lead(conversation_id=conversation.id, contact_id=contact.id, name="L", stage="new")
        session.add_all(
            [last, lead, ConversationTag(conversation_id=conversation.id, tag_id=tag.id)]
        )
        runs = [
            WorkflowRun(
                workflow_id=workflow.id,
                version_id=version.id,
                conversation_id=conversation.id if number < 2 else None,
                trigger_key=f"t{number}",
                status=status,
                state=state,
            )
            for number, (status, state) in enumerate(
                [("waiting", STATE), ("calling", STATE), ("running", {})]
            )
        ]
        session.add_all(runs)
        await session.flush()
        return {
            "agent": agent.id,
            "team": team.id,
            "contact": contact.id,
            "conversation": conversation.id,
            "first": first.id,
            "last": last.id,
            "lead": lead.id,
            "workflow": workflow.id,
            "version": version.id,
            "waiting": runs[0].id,
            "calling": runs[1].id,
            "stateless": runs[2].id,
        }


async def test_runs_are_read_as_records(services: Services) -> None:
    ids = await _stored(services)
    waiting, calling = (
        RunRecord(ids[k], ids["workflow"], ids["version"], ids["conversation"], STATE, 0)
        for k in ("waiting", "calling")
    )
    everything = [ids["stateless"], ids["calling"], ids["waiting"], 10**6]
    async with run_reader(services.db, services.clock) as reader:
        assert await runs_with_state(reader, everything) == [waiting, calling]
        assert await runs_with_state(reader, []) == []
        assert await conversations_of_runs(reader, everything) == [
            (ids["waiting"], ids["conversation"]),
            (ids["calling"], ids["conversation"]),
            (ids["stateless"], None),
        ]
        assert await newest_message_ids(reader, [ids["conversation"], 10**6]) == {
            ids["conversation"]: ids["last"]
        }
    async with services.uow() as tx:
        assert await calling_runs(tx) == [calling]


async def test_a_run_changed_meanwhile_is_not_overwritten(services: Services) -> None:
    ids = await _stored(services)
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def row(seen: int) -> dict[str, object]:
        return {
            "b_id": ids["waiting"],
            "b_seen": seen,
            "v_state": STATE,
            "v_status": "completed",
            "v_waiting_for": None,
            "v_lock_version": seen + 1,
            "v_updated_at": now,
            "v_error": None,
            "v_finished_at": now,
        }

    with pytest.raises(StaleRunError):
        async with services.uow() as tx:
            await write_runs(tx, [row(5)])
    async with services.uow() as tx:
        await write_runs(tx, [row(0)])
    async with run_reader(services.db, services.clock) as reader:
        (stored,) = await runs_with_state(reader, [ids["waiting"]])
    assert stored.lock_version == 1


async def test_runs_written_together_keep_every_column_or_none_is_written(
    services: Services,
) -> None:
    """Several runs' states go in one write (on PostgreSQL one statement over arrays);
    when one of them changed meanwhile, the write fails and changes none."""
    ids = await _stored(services)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [ids["waiting"], ids["calling"], ids["stateless"]]

    def row(run_id: int, seen: int, n: int) -> dict[str, object]:
        finished = n == 0
        return {
            "b_id": run_id,
            "b_seen": seen,
            "v_state": {"engine": {"cursor": f"step-{n}", "vars": {"n": n, "none": None}}},
            "v_status": "completed" if finished else "waiting",
            "v_waiting_for": None if finished else "reply",
            "v_lock_version": seen + 1,
            "v_updated_at": now,
            "v_error": "it broke" if n == 2 else None,
            "v_finished_at": now if finished else None,
        }

    with pytest.raises(StaleRunError):
        async with services.uow() as tx:
            await write_runs(tx, [row(runs[0], 0, 0), row(runs[1], 7, 1)])
    async with services.uow() as tx:
        await write_runs(tx, [row(run_id, 0, n) for n, run_id in enumerate(runs)])
    async with services.db.session() as session:
        stored = {
            run.id: run
            for run in await session.scalars(select(WorkflowRun).where(WorkflowRun.id.in_(runs)))
        }
    for n, run_id in enumerate(runs):
        run = stored[run_id]
        assert run.lock_version == 1
        assert run.state == {"engine": {"cursor": f"step-{n}", "vars": {"n": n, "none": None}}}
        assert (run.status, run.waiting_for) == (
            ("completed", None) if n == 0 else ("waiting", "reply")
        )
        assert run.updated_at == now
        assert run.error == ("it broke" if n == 2 else None)
        assert run.finished_at == (now if n == 0 else None)


async def test_context_rows_are_plain_records(services: Services) -> None:
    ids = await _stored(services)
    conversation_id = ids["conversation"]
    async with run_reader(services.db, services.clock) as reader:
        conversations = await conversations_by_id(reader, {conversation_id, None})
        assert isinstance(conversations[conversation_id], ConversationRow)
        assert conversations[conversation_id].external_id == "chat-1"
        assert await agents_by_id(reader, {ids["agent"]}) == {
            ids["agent"]: AgentRow(ids["agent"], "Eve", "eve@example.com")
        }
        assert await teams_by_id(reader, [ids["team"]]) == {
            ids["team"]: TeamRow(ids["team"], "sales")
        }
        assert await tags_of(reader, {conversation_id, None}) == {conversation_id: ["vip"]}
        assert await latest_leads_of(reader, {conversation_id}) == {conversation_id: ids["lead"]}
        assert (await leads_by_id(reader, {ids["lead"]}))[ids["lead"]].stage == "new"
        assert (await contacts_by_id(reader, {ids["contact"]}))[ids["contact"]].name == "Ada"
        assert await messages_by_id(reader, {ids["first"]}) == {
            ids["first"]: MessageRow(ids["first"], "hi", None, "text", "in", "customer")
        }
        assert await tags_of(reader, set()) == {}
        assert await latest_leads_of(reader, {None}) == {}


async def test_a_reply_goes_to_the_conversation_read_ahead(services: Services) -> None:
    ids = await _stored(services)
    conversation_id = ids["conversation"]
    async with services.uow() as tx:
        stored = await conversation_to_reply(tx, conversation_id)
        assert isinstance(stored, ConversationRow)
        assert stored.external_id == "chat-1"
        assert await conversation_to_reply(tx, 10**6) is None
        read_ahead = await conversations_by_id(tx, [conversation_id])
        tx.read_ahead.conversations.update(read_ahead)
        assert await conversation_to_reply(tx, conversation_id) is read_ahead[conversation_id]
