"""The inbound journal: group commits at the door, then messages in arrival order."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select, text

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.journal_processor import JournalProcessor, Round
from bot.pipeline.services import Services, build_services
from bot.storage.models import Event, InboundJournalEntry, Message


def normalize(payload: dict[str, Any], received_at: datetime) -> InboundMessage | None:
    if payload.get("ignore"):
        return None
    return InboundMessage(
        channel="test",
        external_conversation_id=str(payload["chat"]),
        external_message_id=str(payload["id"]),
        sender=SenderProfile(external_id=str(payload["chat"])),
        text=str(payload["text"]),
        received_at=received_at,
    )


def reader(services: Services) -> list[dict[str, Any]]:
    """Register the test channel's reader; returns the list ``after_stored`` fills."""
    after: list[dict[str, Any]] = []

    async def after_stored(payload: dict[str, Any]) -> None:
        after.append(payload)

    services.journal_processor.register("test", normalize, after_stored)
    return after


def payload(n: int, chat: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": n, "chat": chat, "text": f"message {n}", **extra}


async def test_concurrent_appends_share_one_commit(services: Services) -> None:
    commits: list[int] = []
    async with services.db.sqlite_statement() as direct:
        if direct is not None:  # SQLite: one autocommitted INSERT is one commit
            direct.set_trace_callback(
                lambda sql: commits.append(1) if sql.startswith("INSERT") else None
            )
    if direct is None:
        event.listen(services.db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    fresh = await asyncio.gather(
        *(services.journal.append("test", f"u{n}", payload(n)) for n in range(50))
    )
    assert fresh == [True] * 50
    assert len(commits) == 1
    async with services.db.session() as session:
        ids = list(
            await session.scalars(
                select(InboundJournalEntry.external_id).order_by(InboundJournalEntry.id)
            )
        )
    assert ids == [f"u{n}" for n in range(50)]


async def test_redeliveries_are_recognised_together_and_later(services: Services) -> None:
    first = await asyncio.gather(
        *(services.journal.append("test", "u1", payload(1)) for _ in range(8))
    )
    assert sorted(first) == [False] * 7 + [True]
    assert await services.journal.append("test", "u1", payload(1)) is False
    assert await services.journal.append("other", "u1", payload(1)) is True
    async with services.db.session() as session:
        rows = await session.scalar(select(func.count()).select_from(InboundJournalEntry))
    assert rows == 2


async def conversation_texts(services: Services) -> dict[int, list[str | None]]:
    """Each conversation's stored texts, in the order they were stored."""
    texts: dict[int, list[str | None]] = {}
    async with services.db.session() as session:
        rows = await session.execute(
            select(Message.conversation_id, Message.text).order_by(Message.id)
        )
        for conversation_id, text_ in rows:
            texts.setdefault(conversation_id, []).append(text_)
    return texts


async def test_processor_stores_messages_in_arrival_order(services: Services) -> None:
    after = reader(services)
    for n in range(1, 6):
        await services.journal.append("test", f"u{n}", payload(n, chat=n % 2))
    assert await services.journal_processor.drain() == 5
    assert sorted((await conversation_texts(services)).values()) == [
        ["message 1", "message 3", "message 5"],
        ["message 2", "message 4"],
    ]
    async with services.db.session() as session:
        received = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "message.received")
        )
        pending = await session.scalar(
            select(func.count())
            .select_from(InboundJournalEntry)
            .where(InboundJournalEntry.processed_at.is_(None))
        )
    assert received == 5
    assert pending == 0
    await services.journal_processor.stop()
    assert sorted(p["id"] for p in after) == [1, 2, 3, 4, 5]
    assert await services.journal_processor.drain() == 0  # nothing processed twice


async def test_storing_what_arrived_is_the_customers_work(services: Services) -> None:
    """While the processor reads and stores entries, side work yields to it."""
    busy: list[bool] = []

    def watching(payload: dict[str, Any], received_at: datetime) -> InboundMessage | None:
        busy.append(services.signals.foreground.busy)
        return normalize(payload, received_at)

    services.journal_processor.register("test", watching)
    await services.journal.append("test", "u1", payload(1))
    assert not services.signals.foreground.busy
    assert await services.journal_processor.drain() == 1
    assert busy[-1] is True  # the processor's read (on PostgreSQL the door reads it first)
    assert not services.signals.foreground.busy


async def test_an_unreadable_entry_is_kept_with_its_error_and_the_rest_go_on(
    services: Services,
) -> None:
    after = reader(services)
    await services.journal.append("test", "u1", payload(1))
    await services.journal.append("test", "bad", {"chat": 1})  # no id, no text
    await services.journal.append("test", "skip", payload(3, ignore=True))
    await services.journal.append("test", "u4", payload(4))
    await services.journal_processor.drain()
    await services.journal_processor.stop()
    async with services.db.session() as session:
        texts = list(await session.scalars(select(Message.text).order_by(Message.id)))
        errors = dict(
            (
                await session.execute(
                    select(InboundJournalEntry.external_id, InboundJournalEntry.error)
                )
            ).all()
        )
    assert texts == ["message 1", "message 4"]
    assert errors["bad"] is not None and "KeyError" in errors["bad"]
    assert errors["u1"] is None and errors["skip"] is None
    assert [p["id"] for p in after] == [1, 4]


async def test_an_entry_already_stored_as_a_message_is_not_stored_again(services: Services) -> None:
    """The inbox's own dedupe still holds behind the journal's."""
    reader(services)
    await services.inbox.receive(normalize(payload(1), services.clock.now()))  # type: ignore[arg-type]
    await services.journal.append("test", "u1", payload(1))
    await services.journal_processor.drain()
    async with services.db.session() as session:
        messages = await session.scalar(select(func.count()).select_from(Message))
    assert messages == 1


async def test_two_processors_on_one_database_store_each_entry_once(services: Services) -> None:
    other = build_services(services.settings, services.clock)
    try:
        for services_ in (services, other):
            reader(services_)
        await asyncio.gather(
            *(services.journal.append("test", f"u{n}", payload(n, chat=n % 7)) for n in range(200))
        )
        await asyncio.gather(services.journal_processor.drain(), other.journal_processor.drain())
        texts = await conversation_texts(services)
        assert sorted(texts.values()) == sorted(
            [f"message {n}" for n in range(200) if n % 7 == chat] for chat in range(7)
        )
    finally:
        await other.close()


async def test_prune_forgets_old_processed_entries_only(
    services: Services, clock: FakeClock
) -> None:
    reader(services)
    await services.journal.append("test", "u1", payload(1))
    await services.journal_processor.drain()
    await services.journal.append("test", "u2", payload(2))  # not processed yet
    processor: JournalProcessor = services.journal_processor
    assert await processor.prune(services.clock.now()) == 0
    clock.advance(timedelta(days=8))
    assert await processor.prune(clock.now()) == 1
    async with services.db.session() as session:
        left = list(await session.scalars(select(InboundJournalEntry.external_id)))
    assert left == ["u2"]


async def test_reads_do_not_queue_behind_an_open_write(services: Services) -> None:
    await services.journal.append("test", "u1", payload(1))
    async with services.db.session() as writer:
        await writer.execute(InboundJournalEntry.__table__.update().values(error="held"))

        async def read() -> int:
            async with services.db.read() as session:
                return int(
                    await session.scalar(select(func.count()).select_from(InboundJournalEntry)) or 0
                )

        # on SQLite a read waiting for the writers' gate would never finish here
        assert await asyncio.wait_for(asyncio.ensure_future(read()), 10) == 1
    async with services.db.read() as session:
        assert await session.scalar(select(InboundJournalEntry.error)) == "held"


async def test_a_body_given_as_text_is_stored_as_it_arrived(services: Services) -> None:
    body = '{"id": 7, "chat": 1, "text": "caf\\u00e9"}'
    assert await services.journal.append("test", "u7", {"id": 7, "chat": 1, "text": "café"}, body)
    async with services.db.session() as session:
        raw = await session.scalar(
            text("SELECT payload FROM inbound_journal WHERE external_id = 'u7'")
        )
        [parsed] = (await session.scalars(select(InboundJournalEntry.payload))).all()
    if services.db.dialect == "sqlite":
        assert raw == body
    assert parsed == {"id": 7, "chat": 1, "text": "café"}


class _Inflow:
    """A door where every look finds ``step`` more payloads, whose webhooks wait
    ``ack_wait_s`` on average for their commits."""

    def __init__(self, step: int, ack_wait_s: float = 0.0) -> None:
        self._step = step
        self._arrived = 0
        self.ack_wait_s = ack_wait_s

    @property
    def arrived(self) -> int:
        self._arrived += self._step
        return self._arrived


def _flood() -> _Inflow:
    """An inflow that never stops: a thousand more payloads at every look."""
    return _Inflow(1000)


def _busy() -> _Inflow:
    """A door kept busy, whose webhooks wait long for their commits."""
    return _Inflow(1, ack_wait_s=1.0)


class _Quiet:
    arrived = 5


async def test_the_processor_gives_way_to_a_flood_for_a_bounded_time(services: Services) -> None:
    processor = JournalProcessor(services.uow, services.inbox, door=_flood())  # type: ignore[arg-type]
    processor.give_way_step_s, processor.give_way_max_s = 0.001, 0.005
    assert await processor._give_way() >= 0.005


async def test_the_processor_does_not_wait_when_the_door_is_quiet(services: Services) -> None:
    processor = JournalProcessor(services.uow, services.inbox, door=_Quiet())  # type: ignore[arg-type]
    processor.give_way_step_s, processor.give_way_max_s = 0.001, 10.0
    assert await processor._give_way() == 0.001


class _Recording(JournalProcessor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits: list[int | None] = []

    async def _round(self, limit: int) -> Round:
        self.limits.append(limit)
        return await super()._round(limit)


async def test_with_webhooks_waiting_the_processor_takes_small_batches(services: Services) -> None:
    after = reader(services)
    processor = _Recording(services.uow, services.inbox, batch=10, door=_busy())  # type: ignore[arg-type]
    processor.readers = services.journal_processor.readers
    processor.give_way_step_s, processor.give_way_max_s = 0.001, 0.003
    await asyncio.gather(*(services.journal.append("test", f"f{n}", payload(n)) for n in range(40)))
    assert await processor.catch_up() == 40
    await processor.stop()
    assert processor.limits == [
        10,
        16,
        16,
        16,
    ]  # 10, then 16, 14 (webhooks still waiting: look again) and nothing left
    assert [p["id"] for p in after] == list(range(40))


async def test_a_quiet_door_never_slows_the_processor(services: Services) -> None:
    after = reader(services)
    processor = _Recording(services.uow, services.inbox, batch=10, door=services.journal)
    processor.readers = services.journal_processor.readers
    await asyncio.gather(*(services.journal.append("test", f"s{n}", payload(n)) for n in range(25)))
    services.journal.ack_wait_s = 1.0  # even after slow acknowledgements: nobody is waiting now
    assert await processor.catch_up() == 25
    await processor.stop()
    assert processor.limits == [10, 10, 10]  # 10, 10, then 5: fewer than asked, so no more
    assert [p["id"] for p in after] == list(range(25))


async def test_a_trickle_of_webhooks_is_not_a_flood(services: Services) -> None:
    processor = JournalProcessor(services.uow, services.inbox, door=_busy())  # type: ignore[arg-type]
    processor.give_way_step_s, processor.give_way_max_s = 0.01, 10.0
    # one webhook per 10 ms is 100 a second, well under the flood rate
    assert await processor._give_way() == 0.01


async def test_what_arrives_after_the_last_look_is_processed_on_the_next_wake(
    services: Services,
) -> None:
    stored: asyncio.Queue[int] = asyncio.Queue()

    async def after_stored(payload: dict[str, Any]) -> None:
        stored.put_nowait(payload["id"])

    processor = JournalProcessor(services.uow, services.inbox, batch=10, door=services.journal)
    processor.register("test", normalize, after_stored)
    await services.journal.append("test", "w0", payload(0))
    loop = asyncio.create_task(processor.run(services.signals.journal, poll_interval=3600))
    try:
        seen = [await asyncio.wait_for(stored.get(), 10)]
        for n in range(1, 4):
            await services.journal.append("test", f"w{n}", payload(n))  # sets the wake signal
            seen.append(await asyncio.wait_for(stored.get(), 10))
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        await processor.stop()
    assert seen == [0, 1, 2, 3]
