"""Starting runs: the run row, its first transition, and many events' starts at once.

Every start writes the run's row and its first transition in one transaction, so a
crash never leaves a run that exists (and so is not started again) without its first
step. Events that arrive together (a burst of new conversations) are started
together: the runs waiting for their customers and their contexts are read with one
query per table, their run rows inserted with one statement and their first
transitions stored, all in one transaction. Each event's handler still holds its
conversation's lock; a customer's message that a waiting run may take as its answer
starts nothing until that run has had it, and the calls the first transitions make
are performed afterwards by each event's own handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.core.group_commit import GroupCommit
from bot.domain.catalog import Catalog, CatalogEntry
from bot.pipeline.events import DomainEvent
from bot.pipeline.run_context import ContextTarget, build_contexts, event_data
from bot.pipeline.run_reactions import waiting_runs_in
from bot.pipeline.run_store import (
    ASKS_CUSTOMER,
    StoredRun,
    add_log,
    load_conversations,
    read_last_message_ids,
    save,
    write_runs,
)
from bot.pipeline.services import Services
from bot.storage.pipeline.run_reaction_queries import RunMessage, run_message
from bot.storage.pipeline.run_records import without_autoflush
from bot.storage.pipeline.run_start_queries import insert_run_rows
from bot.storage.uow import Tx
from workflows import engine
from workflows.conditions import evaluate
from workflows.event_names import EventType
from workflows.schema import Workflow
from workflows.state import Transition

logger = logging.getLogger(__name__)

ASKING_STEP = "ask_question"
HELD = "not started: another run is waiting for this customer's answer"
ANSWERED = "not started: the message answered another run's question"


@dataclass
class RunStart:
    """One run to start: which workflow, what started it, and what it sees."""

    entry: CatalogEntry
    event: DomainEvent | None
    ctx: dict[str, Any]
    trigger_key: str | None = None
    variables: dict[str, Any] | None = None
    depth: int = 0
    parent_run_id: int | None = None

    @property
    def definition(self) -> Workflow:
        return self.entry.definition

    @property
    def key(self) -> str:
        return self.trigger_key or f"event:{self.event.id if self.event else 'none'}"

    @property
    def conversation_id(self) -> int | None:
        conversation = self.ctx.get("conversation")
        return int(conversation["id"]) if conversation else None

    @property
    def lead_id(self) -> int | None:
        lead = self.ctx.get("lead")
        return int(lead["id"]) if lead else None


@dataclass
class Begun:
    """A run whose row and first transition are stored; the transition's call is still to make."""

    run: StoredRun
    definition: Workflow
    transition: Transition


@dataclass(frozen=True)
class Answering:
    """A customer's message, for the run waiting for their answer."""

    run: StoredRun
    message: RunMessage


@dataclass
class EventStarts:
    """What starting an event's workflows did: runs begun, and workflows left to start alone.

    ``took``: a workflow started on the event (now, or already when it was first delivered);
    ``event``: the event they started on (a customer's message, or its ``message.unmatched``).
    ``answering``: the event's message and the run waiting for the customer that it goes to
    first; nothing was started.
    """

    begun: list[Begun] = field(default_factory=list)
    later: list[Workflow] = field(default_factory=list)
    took: bool = False
    event: DomainEvent | None = None
    answering: Answering | None = None


def asks(definition: Workflow) -> bool:
    """Whether the workflow may wait for the customer's answer."""
    return any(step.type == ASKING_STEP for step in definition.steps)


async def waiting_for_customers(
    tx: Tx, conversation_ids: Iterable[int | None]
) -> dict[int, list[StoredRun]]:
    """The runs waiting for the customer's answer in these conversations, oldest first."""
    return await waiting_runs_in(tx, (i for i in conversation_ids if i is not None), *ASKS_CUSTOMER)


async def answering(
    tx: Tx, event: DomainEvent, waiting: dict[int, list[StoredRun]]
) -> Answering | None:
    """The customer's message ``event`` for the first run waiting in its conversation
    (``waiting``: runs by conversation) that asked before it came; None if the event is no
    such message (or it is not stored) or no run did."""
    if event.type != EventType.MESSAGE_RECEIVED or event.message_id is None:
        return None
    if event.conversation_id is None:
        return None
    runs = waiting.get(event.conversation_id, [])
    run = next((run for run in runs if event.message_id > run.asked_after_message_id), None)
    if run is None:
        return None
    message = await run_message(tx, event.message_id)
    return Answering(run, message) if message is not None else None


async def insert_runs(tx: Tx, starts: list[RunStart]) -> list[int | None]:
    """Insert the run rows in one statement; each start's run id, None where it exists already."""
    if not starts:
        return []
    rows: list[dict[str, Any]] = [
        {
            "workflow_id": start.entry.workflow_id,
            "version_id": start.entry.version_id,
            "conversation_id": start.conversation_id,
            "trigger_key": start.key,
            "trigger_event_id": start.event.id if start.event else None,
            "parent_run_id": start.parent_run_id,
            "depth": start.depth,
            "status": "running",
            "state": {},
            "lock_version": 0,
            "started_at": tx.now,
            "updated_at": tx.now,
        }
        for start in starts
    ]
    inserted = await insert_run_rows(tx, rows)
    return [inserted.get((start.entry.workflow_id, start.key)) for start in starts]


async def begin(
    tx: Tx, start: RunStart, run_id: int, *, deferred: list[dict[str, Any]] | None = None
) -> Begun:
    """The run's first transition, its trigger and condition log lines, stored with the row."""
    definition, entry = start.definition, start.entry
    transition = engine.start(
        definition,
        start.ctx,
        tx.now,
        variables=start.variables,
        depth=start.depth,
        run_id=str(run_id),
    )
    run = StoredRun(
        id=run_id,
        workflow_id=entry.workflow_id,
        version_id=entry.version_id,
        conversation_id=start.conversation_id,
        lead_id=start.lead_id,
        state=transition.state,
        asked_after_message_id=0,
        lock_version=0,
    )
    add_log(
        tx,
        run_id=run_id,
        workflow_id=entry.workflow_id,
        kind="trigger",
        message=f"started by {start.event.type if start.event else 'trigger_workflow'}",
        data={
            "event": start.ctx.get("event"),
            "depth": start.depth,
            "parent_run_id": start.parent_run_id,
            "variables": start.variables or {},
        },
    )
    if definition.conditions is not None:
        _, checks = evaluate(definition.conditions, start.ctx)
        add_log(
            tx,
            run_id=run_id,
            workflow_id=entry.workflow_id,
            kind="condition",
            message="conditions held",
            data={"checks": [c.to_log() for c in checks]},
        )
    await save(tx, run, transition, deferred=deferred)
    return Begun(run, definition, transition)


class StartDriver(Protocol):
    """What starting runs needs of the runner that drives them."""

    services: Services
    catalog: Catalog

    async def event_context(self, event: DomainEvent) -> dict[str, Any]: ...

    async def go_on(self, begun: Begun) -> None: ...

    async def start(
        self, definition: Workflow, event: DomainEvent | None, ctx: dict[str, Any]
    ) -> int | None: ...


class RunStarts:
    """Starts the workflows events trigger, many events in one transaction."""

    def __init__(self, runner: StartDriver) -> None:
        self.runner = runner
        self.services = runner.services
        self._group: GroupCommit[DomainEvent, EventStarts] = GroupCommit(self.start_together)
        self._answers: set[int] = set()
        """Events whose message a waiting question took: they start no workflow that asks."""

    async def on_event(self, event: DomainEvent, *, answered: bool = False) -> EventStarts:
        """Start what ``event`` triggers (the caller holds the conversation's lock).

        A customer's message that a waiting run may take as its answer starts nothing: it
        comes back in ``answering``, for the caller to give it to the run and call again
        with ``answered``. Then workflows that ask do not start on it, nor does
        ``message.unmatched`` fire.
        """
        if not (self._listening(event, answered) or self._may_answer(event, answered)):
            return EventStarts()
        if answered:
            self._answers.add(event.id)
        try:
            return await self._start(event)
        finally:
            self._answers.discard(event.id)

    async def _start(self, event: DomainEvent) -> EventStarts:
        try:
            starts = await self._group.submit(event)
        except Exception:
            logger.warning(
                "starting event %s's runs with others failed; starting them alone", event.id
            )
            starts = (await self.start_together([event]))[0]
        for begun in starts.begun:
            await self.runner.go_on(begun)
        if starts.later:
            on = starts.event or event
            ctx = await self.runner.event_context(on)
            for definition in starts.later:
                await self.runner.start(definition, on, ctx)
        return starts

    async def start_together(self, events: list[DomainEvent]) -> list[EventStarts]:
        """Match the events and start, per event, the first workflow it may start, in one
        transaction.

        An event whose message a waiting run may take starts nothing (see
        :meth:`on_event`); a customer's message that no waiting run took and no workflow
        starts on fires ``message.unmatched`` (the fallback workflows' trigger) with the
        same id and data. An event that matches more workflows leaves the rest for its
        handler to start one by one, after the first one's call: each such start sees what
        the ones before it did.
        """
        results = [EventStarts() for _ in events]
        async with self.services.uow() as tx:
            waiting = await waiting_for_customers(tx, (event.conversation_id for event in events))
            going: list[tuple[int, DomainEvent]] = []
            for index, event in enumerate(events):
                answered = event.id in self._answers
                if self._may_answer(event, answered):
                    results[index].answering = await answering(tx, event, waiting)
                if results[index].answering is None and self._listening(event, answered):
                    going.append((index, event))
            contexts = await build_contexts(tx, [ContextTarget.of_event(e) for _, e in going])
            starts: list[tuple[int, RunStart]] = []
            for (index, event), ctx in zip(going, contexts, strict=True):
                answered = event.id in self._answers
                first = self._first(tx, event, ctx, answered, waiting)
                if first is None and event.type == EventType.MESSAGE_RECEIVED and not answered:
                    unmatched = replace(event, type=EventType.MESSAGE_UNMATCHED)
                    ctx = {**ctx, "event": event_data(unmatched)}
                    first = self._first(tx, unmatched, ctx, answered, waiting)
                if first is not None:
                    start, results[index].later = first
                    results[index].took, results[index].event = True, start.event
                    starts.append((index, start))
            run_ids = await insert_runs(tx, [start for _, start in starts])
            await load_conversations(tx, (start.conversation_id for _, start in starts))
            await read_last_message_ids(tx, (start.conversation_id for _, start in starts))
            rows: list[dict[str, Any]] = []
            with without_autoflush(tx):
                for (index, start), run_id in zip(starts, run_ids, strict=True):
                    if run_id is None:
                        logger.info(
                            "run for %s and %s exists: not started twice",
                            start.definition.name,
                            start.key,
                        )
                        continue
                    results[index].begun.append(await begin(tx, start, run_id, deferred=rows))
            await write_runs(tx, rows)
        started = sum(len(result.begun) for result in results)
        if started:
            self.services.metrics.runs.labels("started").inc(started)
        return results

    def _listening(self, event: DomainEvent, answered: bool) -> bool:
        """Whether a workflow may start on ``event`` (on a customer's message no question
        took, also through ``message.unmatched``)."""
        index = self.runner.catalog.index
        return bool(index.listening(event.type)) or (
            event.type == EventType.MESSAGE_RECEIVED
            and not answered
            and bool(index.listening(EventType.MESSAGE_UNMATCHED))
        )

    @staticmethod
    def _may_answer(event: DomainEvent, answered: bool) -> bool:
        """Whether ``event`` is a customer's message no waiting run has had yet."""
        return event.type == EventType.MESSAGE_RECEIVED and not answered

    def _first(
        self,
        tx: Tx,
        event: DomainEvent,
        ctx: dict[str, Any],
        answered: bool,
        waiting: dict[int, list[StoredRun]],
    ) -> tuple[RunStart, list[Workflow]] | None:
        """The first workflow ``event`` may start and the ones it matched after it; the
        workflows it matched but may not start are logged as skipped."""
        catalog = self.runner.catalog
        report = catalog.index.match(event.type, ctx)
        for skipped in report.skipped:
            entry = catalog.by_name.get(skipped.workflow)
            if entry is not None:
                add_log(
                    tx,
                    run_id=None,
                    workflow_id=entry.workflow_id,
                    kind="skip",
                    message=f"not started on {event.type} #{event.id}: {skipped.reason}",
                    data={
                        "event": ctx.get("event"),
                        "checks": [c.to_log() for c in skipped.checks],
                    },
                )
        for position, definition in enumerate(report.matched):
            entry = catalog.by_name[definition.name]
            start = RunStart(entry, event, ctx)
            if asks(definition) and (answered or start.conversation_id in waiting):
                add_log(
                    tx,
                    run_id=None,
                    workflow_id=entry.workflow_id,
                    kind="skip",
                    message=ANSWERED if answered else HELD,
                )
                continue
            return start, list(report.matched[position + 1 :])
        return None
