"""The unit of work gathers events, outbound items, timers and log lines and writes them at commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, delete, func, select, update

from bot.core.clock import FakeClock
from bot.domain.replies import queue_reply
from bot.pipeline.services import Services
from bot.storage.models import Contact, Conversation, Event, Message, OutboxItem, RunLog, Timer
from bot.storage.sql import execute_many, insert_with_ids, table_of
from bot.storage.uow import Tx


async def count(services: Services, model: type[Event | OutboxItem | Timer | RunLog]) -> int:
    async with services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def log(tx: Tx, message: str) -> None:
    tx.writes.add_run_log(
        {
            "run_id": None,
            "workflow_id": None,
            "kind": "info",
            "step_id": None,
            "message": message,
            "data": {},
            "duration_ms": None,
            "created_at": tx.now,
        }
    )


async def failing_part(tx: Tx) -> None:
    async with tx.savepoint():
        tx.writes.record_event("dropped")
        tx.writes.enqueue("test", {"text": "dropped"})
        log(tx, "dropped")
        await tx.schedule("test", "kept", tx.now + timedelta(hours=9))  # replaced, then put back
        await tx.schedule("test", "dropped", tx.now)
        raise RuntimeError("this part fails")


async def test_a_failed_savepoint_takes_back_what_it_gathered(services: Services) -> None:
    async with services.uow() as tx:
        tx.writes.record_event("kept")
        log(tx, "kept")
        await tx.schedule("test", "kept", tx.now + timedelta(hours=1))
        with pytest.raises(RuntimeError):
            await failing_part(tx)
        async with tx.savepoint():
            tx.writes.enqueue("test", {"text": "kept"})
    async with services.db.read() as session:
        assert list(await session.scalars(select(Event.type))) == ["kept"]
        assert list(await session.scalars(select(OutboxItem.payload))) == [{"text": "kept"}]
        assert list(await session.scalars(select(RunLog.message))) == ["kept"]
        (timer,) = await session.scalars(select(Timer))
    assert (timer.key, timer.due_at) == ("kept", services.clock.now() + timedelta(hours=1))


async def test_a_reply_and_its_item_and_event_share_the_message_id(services: Services) -> None:
    async with services.uow() as tx:
        contact = Contact(attributes={})
        tx.session.add(contact)
        await tx.session.flush()
        conversation = Conversation(
            contact_id=contact.id,
            channel="test",
            external_id="chat",
            status="open",
            attributes={},
            created_at=tx.now,
            last_activity_at=tx.now,
        )
        tx.session.add(conversation)
        await tx.session.flush()
        first = await queue_reply(tx, conversation, "one")
        second = await queue_reply(tx, conversation, "two")
    async with services.db.read() as session:
        messages = {m.text: m.id for m in await session.scalars(select(Message))}
        items = list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
        events = list(await session.scalars(select(Event).order_by(Event.id)))
    assert (first.id, second.id) == (messages["one"], messages["two"])
    assert [i.message_id for i in items] == [first.id, second.id]
    assert [e.message_id for e in events] == [first.id, second.id]


async def failing_reply(tx: Tx, conversation: Conversation) -> None:
    async with tx.savepoint():
        await queue_reply(tx, conversation, "never sent")
        raise RuntimeError("this part fails")


async def test_a_reply_makes_its_conversation_active_unless_its_savepoint_fails(
    services: Services, clock: FakeClock
) -> None:
    async with services.uow() as tx:
        contact = Contact(attributes={})
        tx.session.add(contact)
        await tx.session.flush()
        rows = [
            Conversation(
                contact_id=contact.id,
                channel="test",
                external_id=chat,
                status="open",
                attributes={},
                created_at=tx.now,
                last_activity_at=tx.now,
            )
            for chat in ("kept", "undone")
        ]
        tx.session.add_all(rows)
    started = clock.now()
    clock.advance(timedelta(minutes=5))
    async with services.uow() as tx:
        kept, undone = list(
            await tx.session.scalars(select(Conversation).order_by(Conversation.id))
        )
        await queue_reply(tx, kept, "hello")
        assert kept.last_activity_at == tx.now  # seen at once, written at the end
        with pytest.raises(RuntimeError):
            await failing_reply(tx, undone)
    async with services.db.read() as session:
        active = dict(
            (
                await session.execute(
                    select(Conversation.external_id, Conversation.last_activity_at)
                )
            ).all()
        )
    assert active == {"kept": started + timedelta(minutes=5), "undone": started}


async def test_setting_a_timer_twice_keeps_the_last(services: Services) -> None:
    async with services.uow() as tx:
        await tx.schedule("test", "k", tx.now + timedelta(hours=1))
    async with services.uow() as tx:
        await tx.schedule("test", "k", tx.now + timedelta(hours=2), {"n": 2})
        await tx.cancel_timer("other")
    async with services.db.read() as session:
        (timer,) = await session.scalars(select(Timer))
    assert (timer.due_at, timer.payload, timer.status) == (
        services.clock.now() + timedelta(hours=2),
        {"n": 2},
        "pending",
    )
    assert await count(services, Timer) == 1


async def test_rows_inserted_together_get_their_own_ids_in_order(services: Services) -> None:
    async with services.uow() as tx:
        first = await insert_with_ids(tx.session, Contact, [{"name": "a", "attributes": {}}])
        tx.session.add(Contact(name="pending", attributes={}))  # flushed by the next query
        ids = await insert_with_ids(
            tx.session, Contact, [{"name": name, "attributes": {}} for name in ("b", "c", "d")]
        )
    async with services.uow() as tx:
        await tx.session.execute(delete(Contact).where(Contact.id == ids[-1]))
        again = await insert_with_ids(tx.session, Contact, [{"name": "e", "attributes": {}}])
    async with services.db.read() as session:
        names = {c.id: c.name for c in await session.scalars(select(Contact))}
    assert len(set(first + ids)) == 4
    assert [names[i] for i in first + ids[:2] + again] == ["a", "b", "c", "e"]
    assert ids == sorted(ids) and "pending" in names.values()


async def test_a_statement_run_for_many_rows_converts_each_value_and_counts_the_changed(
    services: Services,
) -> None:
    async with services.uow() as tx:
        ids = await insert_with_ids(
            tx.session, Contact, [{"name": name, "attributes": {}} for name in ("a", "b", "c")]
        )
    contacts = table_of(Contact)
    statement = (
        update(contacts)
        .where(contacts.c.id == bindparam("b_id"))
        .values(attributes=bindparam("b_attributes"), updated_at=bindparam("b_at"), locale="pt-BR")
    )
    at = services.clock.now() + timedelta(days=1)
    async with services.uow() as tx:
        changed = await execute_many(
            tx.session,
            statement,
            [
                {"b_id": ids[0], "b_attributes": {"plan": "gold"}, "b_at": at},
                {"b_id": ids[2], "b_attributes": {"plan": "free", "seats": [1, 2]}, "b_at": at},
                {"b_id": max(ids) + 100, "b_attributes": {}, "b_at": at},  # no such contact
            ],
        )
    assert changed == (2 if services.db.dialect == "sqlite" else None)  # asyncpg does not count
    async with services.db.read() as session:
        stored = {
            c.name: (c.attributes, c.updated_at == at, c.locale)
            for c in await session.scalars(select(Contact))
        }
    assert stored == {
        "a": ({"plan": "gold"}, True, "pt-BR"),
        "b": ({}, False, None),
        "c": ({"plan": "free", "seats": [1, 2]}, True, "pt-BR"),
    }
