"""The rows that hold data about one person, read for an export and overwritten for an
erasure (:mod:`bot.domain.contact_privacy` holds the rules: what is kept, what replaces
the rest).

A person's rows: the contact and its identities; its conversations with their messages
and tags; its leads (by contact or by conversation); the workflow runs of those
conversations, their log lines and timers, and the log lines of runs that were not
started on one of their events; the events naming the contact, a conversation, a lead or a
message of theirs; the outbox items of those conversations or runs, or to their chats; the
inbound journal entries their messages came in (still kept for a week after processing);
the Slack requests received in their conversations' Slack threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, false, or_, select

from bot.storage.models import (
    Contact,
    ContactIdentity,
    Conversation,
    ConversationTag,
    Event,
    InboundJournalEntry,
    Lead,
    Message,
    OutboxItem,
    RunLog,
    SlackReceipt,
    Tag,
    Timer,
    Workflow,
    WorkflowRun,
)
from bot.storage.uow import Tx

CHUNK = 500
"""Ids per ``IN`` list (SQLite allows 32,766 parameters; PostgreSQL more)."""
THREAD_KEY = "slack_thread"


class Scrubber(Protocol):
    """The rules that replace personal data (see :mod:`bot.domain.contact_privacy`)."""

    marker: str

    def text(self, value: str) -> str:
        """A free text with the person's values replaced."""

    def json(self, value: Any) -> Any:
        """A JSON value with every personal value replaced."""

    def run_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """A workflow run's stored state with every personal value replaced."""


@dataclass
class PersonRows:
    """Everything stored about one person, as plain values (columns by name)."""

    contact: dict[str, Any]
    identities: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    run_logs: list[dict[str, Any]] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    inbound_journal: list[dict[str, Any]] = field(default_factory=list)
    slack_receipts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Found:
    """The ORM rows of one person, inside the transaction."""

    contact: Contact
    identities: list[ContactIdentity]
    conversations: list[Conversation]
    tags: dict[int, list[str]]
    messages: list[Message]
    leads: list[Lead]
    runs: list[WorkflowRun]
    workflow_names: dict[int, str]
    run_logs: list[RunLog]
    timers: list[Timer]
    events: list[Event]
    outbox: list[OutboxItem]
    journal: list[InboundJournalEntry]
    slack: list[SlackReceipt]


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


async def _rows_in(tx: Tx, query: Select[Any], column: Any, ids: Iterable[int]) -> list[Any]:
    rows: dict[int, Any] = {}
    for chunk in _chunks(ids):
        for row in await tx.session.scalars(query.where(column.in_(chunk))):
            rows[id(row)] = row
    return list(rows.values())


def _any_in(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    return column.in_(ids) if ids else false()


async def _find(tx: Tx, contact_id: int, *, lock: bool) -> _Found | None:
    session = tx.session
    contact = await session.get(Contact, contact_id, with_for_update=lock)
    if contact is None:
        return None
    identities = list(
        await session.scalars(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == contact_id)
            .order_by(ContactIdentity.id)
        )
    )
    conversations_query = (
        select(Conversation).where(Conversation.contact_id == contact_id).order_by(Conversation.id)
    )
    if lock:
        conversations_query = conversations_query.with_for_update()
    conversations = list(await session.scalars(conversations_query))
    chat_ids = [c.id for c in conversations]
    tags: dict[int, list[str]] = {}
    for chunk in _chunks(chat_ids):
        pairs = await session.execute(
            select(ConversationTag.conversation_id, Tag.name)
            .join(Tag, Tag.id == ConversationTag.tag_id)
            .where(ConversationTag.conversation_id.in_(chunk))
            .order_by(Tag.name)
        )
        for conversation_id, name in pairs:
            tags.setdefault(conversation_id, []).append(name)
    messages = sorted(
        await _rows_in(tx, select(Message), Message.conversation_id, chat_ids),
        key=lambda m: m.id,
    )
    message_ids = [m.id for m in messages]
    leads = list(
        await session.scalars(
            select(Lead)
            .where(or_(Lead.contact_id == contact_id, _any_in(Lead.conversation_id, chat_ids)))
            .order_by(Lead.id)
        )
    )
    lead_ids = [lead.id for lead in leads]
    runs = sorted(
        await _rows_in(tx, select(WorkflowRun), WorkflowRun.conversation_id, chat_ids),
        key=lambda r: r.id,
    )
    run_ids = [r.id for r in runs]
    names = await _rows_in(tx, select(Workflow), Workflow.id, {r.workflow_id for r in runs})
    events: dict[int, Event] = {}
    for column, ids in (
        (Event.conversation_id, chat_ids),
        (Event.lead_id, lead_ids),
        (Event.message_id, message_ids),
    ):
        for row in await _rows_in(tx, select(Event), column, ids):
            events[row.id] = row
    for row in await session.scalars(select(Event).where(Event.contact_id == contact_id)):
        events[row.id] = row
    run_logs = {row.id: row for row in await _rows_in(tx, select(RunLog), RunLog.run_id, run_ids)}
    for chunk in _chunks(events):
        skipped = select(RunLog).where(
            RunLog.run_id.is_(None),
            or_(*(RunLog.message.like(f"% #{event_id}:%") for event_id in chunk)),
        )
        for row in await session.scalars(skipped):
            run_logs[row.id] = row
    timers: list[Timer] = []
    for chunk in _chunks(run_ids):
        keys = or_(*(Timer.key.like(f"run:{run_id}:%") for run_id in chunk))
        timers += list(await session.scalars(select(Timer).where(keys)))
    destinations = [f"{c.channel}:{c.external_id}" for c in conversations]
    outbox: dict[int, OutboxItem] = {}
    for column, ids in ((OutboxItem.conversation_id, chat_ids), (OutboxItem.run_id, run_ids)):
        for row in await _rows_in(tx, select(OutboxItem), column, ids):
            outbox[row.id] = row
    if destinations:
        to_them = select(OutboxItem).where(OutboxItem.destination.in_(destinations))
        for row in await session.scalars(to_them):
            outbox[row.id] = row
    journal: list[InboundJournalEntry] = []
    channel_of = {c.id: c.channel for c in conversations}
    delivered: dict[str, set[str]] = {}  # an inbound message's external id is its delivery's
    for message in messages:
        if message.direction == "in" and message.external_id:
            delivered.setdefault(channel_of[message.conversation_id], set()).add(
                message.external_id
            )
    for channel, external_ids in sorted(delivered.items()):
        ordered = sorted(external_ids)
        for start in range(0, len(ordered), CHUNK):
            journal += list(
                await session.scalars(
                    select(InboundJournalEntry).where(
                        InboundJournalEntry.channel == channel,
                        InboundJournalEntry.external_id.in_(ordered[start : start + CHUNK]),
                    )
                )
            )
    slack: dict[int, SlackReceipt] = {}
    for conversation in conversations:
        thread = (conversation.attributes or {}).get(THREAD_KEY)
        ts = thread.get("ts") if isinstance(thread, dict) else None
        if isinstance(ts, str) and ts:
            in_thread = select(SlackReceipt).where(SlackReceipt.body.contains(ts, autoescape=True))
            for row in await session.scalars(in_thread):
                slack[row.id] = row
    return _Found(
        contact=contact,
        identities=identities,
        conversations=conversations,
        tags=tags,
        messages=messages,
        leads=leads,
        runs=runs,
        workflow_names={w.id: w.name for w in names},
        run_logs=sorted(run_logs.values(), key=lambda r: r.id),
        timers=sorted(timers, key=lambda t: t.id),
        events=sorted(events.values(), key=lambda e: e.id),
        outbox=sorted(outbox.values(), key=lambda o: o.id),
        journal=sorted(journal, key=lambda j: j.id),
        slack=sorted(slack.values(), key=lambda s: s.id),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # Decimal


def _columns(row: Any, *skip: str) -> dict[str, Any]:
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in skip
    }


async def person(tx: Tx, contact_id: int) -> PersonRows | None:
    """Everything stored about the contact, None when there is no such contact."""
    found = await _find(tx, contact_id, lock=False)
    if found is None:
        return None
    return PersonRows(
        contact=_columns(found.contact),
        identities=[_columns(row) for row in found.identities],
        conversations=[
            _columns(row) | {"tags": found.tags.get(row.id, [])} for row in found.conversations
        ],
        messages=[_columns(row) for row in found.messages],
        leads=[_columns(row) for row in found.leads],
        runs=[
            _columns(row) | {"workflow": found.workflow_names.get(row.workflow_id)}
            for row in found.runs
        ],
        run_logs=[_columns(row) for row in found.run_logs],
        timers=[_columns(row) for row in found.timers],
        events=[_columns(row) for row in found.events],
        outbox=[_columns(row) for row in found.outbox],
        inbound_journal=[_columns(row) for row in found.journal],
        slack_receipts=[_columns(row) for row in found.slack],
    )


@dataclass(frozen=True)
class Erased:
    """How many rows of each kind an erasure changed (no personal data)."""

    identities: int
    conversations: int
    messages: int
    leads: int
    runs: int
    run_logs: int
    timers: int
    events: int
    outbox: int
    inbound_journal: int
    slack_receipts: int


async def erase(tx: Tx, contact_id: int, scrub: Scrubber) -> Erased | None:
    """Overwrite the contact's personal data in every row of :func:`person` (rows, counts,
    statuses and times stay); None when there is no such contact. The person's open
    conversations are closed, runs still going cancelled, timers and unsent outbox items
    dropped, so nothing is sent to them any more and a new message starts a new contact."""
    found = await _find(tx, contact_id, lock=True)
    if found is None:
        return None
    now, marker = tx.now, scrub.marker
    chats = {f"{c.channel}:{c.external_id}" for c in found.conversations}
    contact = found.contact
    contact.name = contact.email = contact.phone = contact.locale = None
    contact.attributes = {}
    contact.erased_at = now
    for identity in found.identities:
        identity.external_id = f"erased:{identity.id}"
        identity.profile = {}
    for conversation in found.conversations:
        conversation.external_id = f"erased:{conversation.id}"
        conversation.attributes = {}
        if conversation.status != "closed":
            conversation.status = "closed"
            conversation.closed_at = now
    for message in found.messages:
        message.text = None if message.text is None else marker
        message.payload = None if message.payload is None else marker
        message.media = [
            {"kind": str(m.get("kind", "media")), "erased": True} for m in message.media or []
        ]
        message.extra = scrub.json(message.extra or {})
    for lead in found.leads:
        lead.name = marker
        lead.attributes = {}
    for run in found.runs:
        run.state = scrub.run_state(run.state or {})
        run.error = None if run.error is None else scrub.text(run.error)
        if run.status in ("running", "waiting", "calling"):
            run.status = "cancelled"
            run.waiting_for = None
            run.finished_at = now
    for line in found.run_logs:
        line.message = scrub.text(line.message)
        line.data = scrub.json(line.data or {})
    for timer in found.timers:
        timer.payload = scrub.json(timer.payload or {})
        if timer.status == "pending":
            timer.status = "cancelled"
    for event in found.events:
        event.data = scrub.json(event.data or {})
        if event.delivered_at is None:
            event.delivered_at = now
    for item in found.outbox:
        item.payload = scrub.json(item.payload or {})
        item.last_error = None if item.last_error is None else scrub.text(item.last_error)
        if item.destination in chats:
            item.destination = f"erased:{item.conversation_id or item.id}"
        if item.status == "pending":
            item.status = "dead"
            item.last_error = "contact erased"
    for entry in found.journal:
        entry.payload = {"erased": True}
        entry.error = None if entry.error is None else marker
        if entry.processed_at is None:
            entry.processed_at = now
    for receipt in found.slack:
        receipt.body = marker
        receipt.error = None if receipt.error is None else marker
        if receipt.processed_at is None:
            receipt.processed_at = now
    await tx.session.flush()
    return Erased(
        identities=len(found.identities),
        conversations=len(found.conversations),
        messages=len(found.messages),
        leads=len(found.leads),
        runs=len(found.runs),
        run_logs=len(found.run_logs),
        timers=len(found.timers),
        events=len(found.events),
        outbox=len(found.outbox),
        inbound_journal=len(found.journal),
        slack_receipts=len(found.slack),
    )
