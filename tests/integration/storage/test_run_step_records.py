"""The storage the run steps work through: starts, reactions, holds, calls and approvals."""

from __future__ import annotations

from typing import Any

from bot.pipeline.services import Services
from bot.storage.models import (
    Agent,
    Contact,
    Conversation,
    Event,
    Lead,
    Message,
    Team,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)
from bot.storage.pipeline.approval_records import (
    approval_run,
    outbox_key_taken,
    undelivered_decision,
)
from bot.storage.pipeline.run_call_records import (
    NamedAgent,
    agent_by_ref,
    conversation_to_change,
    set_contact_field,
    tag_lead,
)
from bot.storage.pipeline.run_reaction_queries import (
    RunMessage,
    agent_name,
    run_message,
    waiting_run_records,
)
from bot.storage.pipeline.run_records import RunRecord
from bot.storage.pipeline.run_start_queries import insert_run_rows

DECIDED = "approval.decided"


async def _stored(services: Services) -> dict[str, int]:
    """An agent, a team, a contact with a conversation, a message and a lead, and two
    waiting runs of one workflow (for an answer, for an assignment)."""
    async with services.uow() as tx:
        session = tx.session
        agent = Agent(name="Eve", email="eve@example.com", slack_user_id="U1", available=False)
        team = Team(name="sales")
        contact = Contact(name="Ada", attributes={"plan": "free"})
        workflow = Workflow(name="greet", trigger_event="conversation.created")
        session.add_all([agent, team, contact, workflow])
        await session.flush()
        version = WorkflowVersion(workflow_id=workflow.id, version=1, definition={}, checksum="x")
        conversation = Conversation(
            contact_id=contact.id, channel="test", external_id="chat-1", attributes={"a": 1}
        )
        session.add_all([version, conversation])
        await session.flush()
        message = Message(
            conversation_id=conversation.id,
            direction="in",
            sender_kind="customer",
            text="yes",
            payload="YES",
            extra={"run_id": 7, "step_id": "ask"},
        )
        lead = Lead(contact_id=contact.id, name="L", stage="new", tags=["cold"])
        runs = [
            WorkflowRun(
                workflow_id=workflow.id,
                version_id=version.id,
                conversation_id=conversation.id,
                trigger_key=f"t{waiting_for}",
                status="waiting",
                waiting_for=waiting_for,
                state={"engine": {}},
            )
            for waiting_for in ("answer", "assignment")
        ]
        session.add_all([message, lead, *runs])
        await session.flush()
        return {
            "agent": agent.id,
            "team": team.id,
            "contact": contact.id,
            "conversation": conversation.id,
            "message": message.id,
            "lead": lead.id,
            "workflow": workflow.id,
            "version": version.id,
            "answer": runs[0].id,
            "assignment": runs[1].id,
        }


async def test_agents_are_found_by_any_name(services: Services) -> None:
    ids = await _stored(services)
    eve = NamedAgent(ids["agent"], "Eve", "eve@example.com", "U1", False)
    async with services.uow() as tx:
        for ref in ("eve@example.com", "U1", "Eve", str(ids["agent"])):
            assert await agent_by_ref(tx, ref) == eve
        assert await agent_by_ref(tx, "Bob") is None
        assert await agent_name(tx, ids["agent"]) == "Eve"
        assert await agent_name(tx, 10**6) is None


async def test_lead_tags_change_once(services: Services) -> None:
    ids = await _stored(services)
    async with services.uow() as tx:
        assert await tag_lead(tx, ids["lead"], "hot", add=True) is True
        assert await tag_lead(tx, ids["lead"], "hot", add=True) is False
        assert await tag_lead(tx, ids["lead"], "cold", add=False) is True
        assert await tag_lead(tx, ids["lead"], "cold", add=False) is False
        assert await tag_lead(tx, 10**6, "hot", add=True) is None
    async with services.db.session() as session:
        lead = await session.get(Lead, ids["lead"])
    assert lead is not None and lead.tags == ["hot"]


async def test_contact_fields_are_columns_or_attributes(services: Services) -> None:
    ids = await _stored(services)
    async with services.uow() as tx:
        await set_contact_field(tx, ids["contact"], "phone", 12345, column=True)
        await set_contact_field(tx, ids["contact"], "name", None, column=True)
        await set_contact_field(tx, ids["contact"], "tier", {"level": 2}, column=False)
    async with services.db.session() as session:
        contact = await session.get(Contact, ids["contact"])
    assert contact is not None
    assert (contact.phone, contact.name) == ("12345", None)
    assert contact.attributes == {"plan": "free", "tier": {"level": 2}}


async def test_conversations_are_offered_or_handed_to_ai(services: Services) -> None:
    ids = await _stored(services)
    async with services.uow() as tx:
        change = await conversation_to_change(tx, ids["conversation"])
        assert change is not None
        change.hand_to_ai("helper")
        change.offer(ids["agent"], ids["team"])
        assert await conversation_to_change(tx, 10**6) is None
    async with services.db.session() as session:
        conversation = await session.get(Conversation, ids["conversation"])
    assert conversation is not None
    assert conversation.team_id == ids["team"]
    assert conversation.attributes == {
        "a": 1,
        "ai_agent": "helper",
        "offered_to": ids["agent"],
        "offered_team": ids["team"],
    }
    async with services.uow() as tx:
        change = await conversation_to_change(tx, ids["conversation"])
        assert change is not None
        change.offer(ids["agent"], None)
    async with services.db.session() as session:
        conversation = await session.get(Conversation, ids["conversation"])
    assert conversation is not None and conversation.team_id == ids["team"]
    assert conversation.attributes["offered_team"] is None


async def test_reactions_read_waiting_runs_and_messages(services: Services) -> None:
    ids = await _stored(services)
    conversation = ids["conversation"]

    def record(name: str) -> RunRecord:
        return RunRecord(
            ids[name], ids["workflow"], ids["version"], conversation, {"engine": {}}, 0
        )

    async with services.uow() as tx:
        found = await waiting_run_records(tx, [conversation, 10**6], ("answer", "assignment"))
        assert found == [record("answer"), record("assignment")]
        assert await waiting_run_records(tx, [conversation], ("confirmation",)) == []
        message = await run_message(tx, ids["message"])
        assert message == RunMessage(ids["message"], "yes", "YES", {"run_id": 7, "step_id": "ask"})
        assert await run_message(tx, 10**6) is None


async def test_run_rows_are_inserted_once_per_trigger_key(services: Services) -> None:
    ids = await _stored(services)

    def row(key: str) -> dict[str, Any]:
        return {
            "workflow_id": ids["workflow"],
            "version_id": ids["version"],
            "conversation_id": ids["conversation"],
            "trigger_key": key,
            "trigger_event_id": None,
            "parent_run_id": None,
            "depth": 0,
            "status": "running",
            "state": {},
            "lock_version": 0,
            "started_at": services.clock.now(),
            "updated_at": services.clock.now(),
        }

    async with services.uow() as tx:
        assert await insert_run_rows(tx, []) == {}
        inserted = await insert_run_rows(tx, [row("new-1"), row("tanswer"), row("new-2")])
    assert set(inserted) == {(ids["workflow"], "new-1"), (ids["workflow"], "new-2")}
    async with services.uow() as tx:
        for run_id in inserted.values():
            run = await approval_run(tx, run_id)
            assert run is not None and run.id == run_id and run.state == {}
        assert (await insert_run_rows(tx, [row("new-1")])) == {}


async def test_approvals_read_runs_decisions_and_queued_updates(services: Services) -> None:
    ids = await _stored(services)
    conversation, run_id = ids["conversation"], ids["answer"]

    def event(key: str, delivered: bool = False, **data: Any) -> Event:
        return Event(
            type=DECIDED,
            conversation_id=conversation,
            data={"run_id": run_id, "key": key, **data},
            occurred_at=services.clock.now(),
            delivered_at=services.clock.now() if delivered else None,
        )

    async with services.uow() as tx:
        tx.session.add_all([event("k", delivered=True), event("other"), event("k", by="U1")])
        tx.writes.enqueue("approval", {}, key="k:decided")
    async with services.uow() as tx:
        for lock in (False, True):
            run = await approval_run(tx, run_id, lock=lock)
            assert run == RunRecord(
                run_id, ids["workflow"], ids["version"], conversation, {"engine": {}}, 0
            )
        assert await approval_run(tx, 10**6) is None
        assert await undelivered_decision(tx, DECIDED, run_id, conversation, "k") == {
            "run_id": run_id,
            "key": "k",
            "by": "U1",
        }
        assert await undelivered_decision(tx, DECIDED, run_id, None, "k") is None
        assert await undelivered_decision(tx, DECIDED, run_id, conversation, "none") is None
        assert await outbox_key_taken(tx, "k:decided") is True
        assert await outbox_key_taken(tx, "k:request") is False
