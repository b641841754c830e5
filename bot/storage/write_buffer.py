"""What a transaction causes, gathered and written just before commit.

Events, outbound items, timers, run log lines, new messages and conversation activity
are written each kind in one statement: a transaction that causes many of them (a
batch of messages, of started runs) pays for one write, not one each.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.event_interest import EventInterest
from bot.storage.models import Conversation, Event, Message, OutboxItem, RunLog, Timer
from bot.storage.sql import dialect_insert, execute_many, insert_many, insert_with_ids, table_of


@dataclass(eq=False)
class NewMessage:
    """A message row inserted when its transaction ends, with the others in one statement.

    ``values`` holds every column but ``id`` (the same keys for every new message), and
    may still be changed until then; ``id`` is set when the row is written.
    """

    values: dict[str, Any]
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    """How full a buffer was when a savepoint began (see :meth:`WriteBuffer.undo`)."""

    events: int
    outbox: int
    run_logs: int
    messages: int
    timers: dict[str, dict[str, Any]]
    active: dict[int, datetime]
    enqueued: int
    scheduled: int


class WriteBuffer:
    """The rows one transaction causes, until :meth:`write` writes them.

    The counters tell the unit of work which workers to wake after commit.
    """

    def __init__(self, now: datetime, interest: EventInterest | None = None) -> None:
        self.now = now
        """The transaction's time, stamped on the rows."""
        self.interest = interest
        """Which events a subscriber wants; the others are stored as delivered (None: all)."""
        self.events: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []
        self.run_logs: list[dict[str, Any]] = []
        self.timers: dict[str, dict[str, Any]] = {}
        self.messages: list[NewMessage] = []
        self.active: dict[int, datetime] = {}
        """Conversations made active now, whose ``last_activity_at`` is written at the end."""
        self.enqueued = 0
        self.scheduled = 0
        self.first_due: datetime | None = None
        """The earliest due time of the timers set in this transaction."""
        self.written_events = 0
        """Events written that a subscriber wants."""
        self.event_owners: set[tuple[int | None, int | None]] = set()
        """The (conversation, lead) of each event written that a subscriber wants; (None,
        None) for one that has neither (its order is its own)."""

    def touch(self, conversation: Any) -> None:
        """Set the conversation's ``last_activity_at`` to now (an ORM ``Conversation`` or a
        plain row).

        A stored conversation's row is updated when the transaction ends, with the other
        conversations touched in it, in one statement: flushing each changed ORM object
        costs far more. An ORM object shows the new value at once.
        """
        if isinstance(conversation, Conversation):
            if not inspect(conversation).persistent:
                conversation.last_activity_at = self.now
                return
            set_committed_value(conversation, "last_activity_at", self.now)
        self.active[conversation.id] = self.now

    def add_message(self, values: dict[str, Any]) -> NewMessage:
        """A new message row (every column but ``id``), inserted with the others when the
        transaction ends, before the rows that name it."""
        message = NewMessage(values)
        self.messages.append(message)
        return message

    def record_event(
        self,
        type_: str,
        *,
        conversation_id: int | None = None,
        contact_id: int | None = None,
        lead_id: int | None = None,
        message_id: int | None = None,
        message: NewMessage | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """A domain event; subscribers see it after commit.

        ``message``: a message added with :meth:`add_message`; the event takes its id when
        both are written.
        """
        self.events.append(
            {
                "type": str(type_),
                "conversation_id": conversation_id,
                "contact_id": contact_id,
                "lead_id": lead_id,
                "message_id": message_id,
                "data": data or {},
                "occurred_at": self.now,
                "delivered_at": None,
                _MESSAGE: message,
            }
        )

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        destination: str = "",
        key: str | None = None,
        conversation_id: int | None = None,
        run_id: int | None = None,
        step_id: str | None = None,
        message_id: int | None = None,
        message: NewMessage | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Outbound work, delivered by the dispatcher after commit (``message`` as for
        :meth:`record_event`)."""
        self.outbox.append(
            {
                "kind": kind,
                "destination": destination,
                "payload": payload,
                "idempotency_key": key or f"{_PROCESS_KEY}:{next(_ITEM_NUMBERS)}",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": not_before or self.now,
                "claimed_until": None,
                "last_error": None,
                "conversation_id": conversation_id,
                "run_id": run_id,
                "step_id": step_id,
                "message_id": message_id,
                "created_at": self.now,
                "done_at": None,
                _MESSAGE: message,
            }
        )
        self.enqueued += 1

    def schedule(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Set the timer ``key`` to fire at ``due_at`` (replacing a pending one)."""
        self.timers[key] = {
            "kind": kind,
            "key": key,
            "due_at": due_at,
            "payload": payload or {},
            "status": "pending",
            "created_at": self.now,
        }
        self.scheduled += 1
        if self.first_due is None or due_at < self.first_due:
            self.first_due = due_at

    async def cancel_timer(self, session: AsyncSession, key: str) -> None:
        """Cancel the timer ``key`` if it has not fired (the timers set so far are written
        first, so one set in this transaction is cancelled too)."""
        await self._write_timers(session)
        await session.execute(
            update(Timer)
            .where(Timer.key == key, Timer.status == "pending")
            .values(status="cancelled")
        )

    def add_run_log(self, values: dict[str, Any]) -> None:
        """A run log line, written with the others in one statement when the transaction ends."""
        self.run_logs.append(values)

    def mark(self) -> Mark:
        """How full the buffer is now, for :meth:`undo`."""
        return Mark(
            len(self.events),
            len(self.outbox),
            len(self.run_logs),
            len(self.messages),
            dict(self.timers),
            dict(self.active),
            self.enqueued,
            self.scheduled,
        )

    def undo(self, mark: Mark) -> None:
        """Forget what was gathered since ``mark`` (its savepoint was rolled back)."""
        self.timers, self.active = mark.timers, mark.active
        del (
            self.events[mark.events :],
            self.outbox[mark.outbox :],
            self.run_logs[mark.run_logs :],
            self.messages[mark.messages :],
        )
        self.enqueued, self.scheduled = mark.enqueued, mark.scheduled

    async def write(self, session: AsyncSession) -> None:
        """Write what was gathered so far (the unit of work calls this before commit)."""
        await self._write_timers(session)
        await self._write_messages(session)
        await self._write_activity(session)
        rows: dict[Table, list[dict[str, Any]]] = {
            _EVENTS: self.events,
            _OUTBOX: self.outbox,
            _RUN_LOGS: self.run_logs,
        }
        if not any(rows.values()):
            return
        self._settle_unwanted()
        for table, gathered in rows.items():
            await insert_many(session, table, [_without_message(row) for row in gathered])
        self.events, self.outbox, self.run_logs = [], [], []

    def _settle_unwanted(self) -> None:
        """Store the events no subscriber wants as delivered; count the others."""
        for row in self.events:
            if self.interest is None or self.interest.wants(row["type"], row["data"]):
                self.written_events += 1
                self.event_owners.add((row["conversation_id"], row["lead_id"]))
            else:
                row["delivered_at"] = self.now

    async def _write_messages(self, session: AsyncSession) -> None:
        if self.messages:
            messages, self.messages = self.messages, []
            rows = [message.values for message in messages]
            for message, new_id in zip(
                messages, await insert_with_ids(session, Message, rows), strict=True
            ):
                message.id = new_id

    async def _write_activity(self, session: AsyncSession) -> None:
        if self.active:
            rows = [{"b_id": id_, "b_at": at} for id_, at in self.active.items()]
            self.active = {}
            await execute_many(session, _TOUCH, rows)

    async def _write_timers(self, session: AsyncSession) -> None:
        if self.timers:
            rows, self.timers = list(self.timers.values()), {}
            connection = await session.connection()
            await connection.execute(_timer_upsert(connection.dialect.name), rows)


_PROCESS_KEY = uuid.uuid4().hex
_ITEM_NUMBERS = itertools.count(1)
"""Unkeyed outbound items are keyed by this process's random key and a running number:
unique like a random key per item, without drawing one each time."""
_TIMERS = table_of(Timer)
_EVENTS = table_of(Event)
_OUTBOX = table_of(OutboxItem)
_RUN_LOGS = table_of(RunLog)
_CONVERSATIONS = table_of(Conversation)
_TOUCH = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values(last_activity_at=bindparam("b_at"))
)
_MESSAGE = "_message"
"""Key of a gathered row's new message, whose id the row takes when written."""


def _without_message(row: dict[str, Any]) -> dict[str, Any]:
    """The gathered row as written: its new message's id in place of the message (the
    row is changed in place; it is written once)."""
    message = row.pop(_MESSAGE, None)
    if message is not None:
        row["message_id"] = message.id
    return row


@cache
def _timer_upsert(dialect: str) -> Any:
    """Insert timers; one whose key exists is set to the new due time, pending again."""
    statement = dialect_insert(dialect, _TIMERS)
    fresh = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "kind": fresh.kind,
            "due_at": fresh.due_at,
            "payload": fresh.payload,
            "status": fresh.status,
            "claimed_until": None,
            "fired_at": None,
        },
    )
