"""The workflow runner: binds the pure engine to storage, channels and integrations.

Events start runs (one per workflow and trigger event: a redelivered event starts
nothing new); customer messages, timers, assignments and delivery failures resume
them. Each transition's state, log and effects commit in one transaction; calls that
change our data run in that transaction too, integration actions run outside it.
Work on one conversation is serialized.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.domain.catalog import Catalog
from bot.domain.holds import HOLD_EVENTS, HOLD_TIMER, action_key, requested
from bot.domain.replies import MESSAGE_SENT
from bot.pipeline.events import DomainEvent
from bot.pipeline.run_batch import RunResumer, count_steps
from bot.pipeline.run_calls import perform_action, perform_domain_call
from bot.pipeline.run_context import build_context
from bot.pipeline.run_holds import HoldKeeper
from bot.pipeline.run_reactions import RunReactions
from bot.pipeline.run_starts import (
    HELD,
    Begun,
    RunStart,
    RunStarts,
    asks,
    begin,
    insert_runs,
    waiting_for_customers,
)
from bot.pipeline.run_store import (
    StaleRunError,
    StoredRun,
    add_log,
    load_runs,
    lock_key,
    pending_call,
    save,
    unpack,
)
from bot.pipeline.scheduler import DueTimer
from bot.pipeline.services import Services
from bot.storage.pipeline.run_records import calling_runs, run_reader
from bot.storage.uow import Tx
from workflows import engine
from workflows.actions import ActionContext, ActionRegistry
from workflows.effects import RunAction, TriggerWorkflow
from workflows.event_names import EventType
from workflows.inputs import CallResult, RunInput, TimerFired
from workflows.schema import Workflow
from workflows.state import MAX_DEPTH, Transition

logger = logging.getLogger(__name__)


def wants_event(type_: str, data: Mapping[str, Any]) -> bool:
    """Every event may start or move a run except a message the bot or the system sent:
    of those, only an agent's reply stops a run's question."""
    return type_ != MESSAGE_SENT or data.get("sender_kind") == "agent"


class WorkflowRunner:
    """Starts and advances workflow runs."""

    def __init__(self, services: Services, catalog: Catalog, actions: ActionRegistry) -> None:
        self.services = services
        self.catalog = catalog
        self.actions = actions
        self.locks = services.locks
        self.holds = HoldKeeper(self)
        self.reactions = RunReactions(self)
        self.resumer = RunResumer(self)
        self.starts = RunStarts(self)

    def install(self) -> None:
        """Subscribe to events, timers, delivery failures and dead approval requests."""
        from bot.pipeline.run_store import RUN_TIMER

        self.services.events.subscribe(self.on_event, wants_event)
        self.services.scheduler.register_batch(RUN_TIMER, self.on_timers)
        self.services.scheduler.register(HOLD_TIMER, self.holds.on_timer)
        self.services.delivery_failed_hooks.append(self.reactions.on_delivery_failed)
        self.services.outbox.dead_listeners.append(self.holds.approvals.on_dead)

    # ------------------------------------------------------------------ inputs

    async def on_event(self, event: DomainEvent) -> None:
        if event.type in HOLD_EVENTS:
            await self.holds.approvals.on_event(event)
            return
        await self.catalog.refresh()
        async with self.locks.hold(lock_key(event.conversation_id, event.lead_id)):
            await self.reactions.on_event(event)
            starts = await self.starts.on_event(event)
            answer = starts.answering
            if answer is not None:  # the waiting run has the message first
                await self.reactions.answer(answer.run, answer.message)
                starts = await self.starts.on_event(event, answered=True)
            if event.type == EventType.MESSAGE_RECEIVED and answer is None and not starts.took:
                logger.info(
                    "message %s in conversation %s: no run took it and no workflow started on it",
                    event.message_id,
                    event.conversation_id,
                    extra={"conversation_id": event.conversation_id},
                )

    async def on_timers(self, timers: list[DueTimer]) -> list[DueTimer]:
        """Fire run timers (together where they can go together); returns those that failed."""
        fed = [
            (int(t.payload["run_id"]), TimerFired(token=str(t.payload["token"]))) for t in timers
        ]
        failed = await self.resumer.resume_many(fed)
        return [t for t in timers if int(t.payload["run_id"]) in failed]

    async def resume(self, run_id: int, run_input: RunInput, *, locked: bool = False) -> None:
        """Feed ``run_input`` to a run, serialized with its conversation (``locked``: the
        caller holds the conversation's lock); the same path as many runs at once."""
        await self.resumer.resume(run_id, run_input, locked=locked)

    async def with_run(self, run_id: int, work: Callable[[StoredRun], Awaitable[None]]) -> None:
        """Run ``work`` on the freshly loaded run, serialized with its conversation."""
        run = await self.load(run_id)
        if run is None:
            return
        async with self.locks.hold(run.lock_key):
            run = await self.load(run_id)
            if run is not None:
                await work(run)

    # ------------------------------------------------------------------ internals

    async def event_context(self, event: DomainEvent) -> dict[str, Any]:
        """What a run started by ``event`` sees."""
        async with run_reader(self.services.db, self.services.clock) as reader:
            return await build_context(
                reader,
                conversation_id=event.conversation_id,
                lead_id=event.lead_id,
                message_id=event.message_id,
                event=event,
            )

    async def start(
        self,
        definition: Workflow,
        event: DomainEvent | None,
        ctx: dict[str, Any],
        *,
        trigger_key: str | None = None,
        variables: dict[str, Any] | None = None,
        depth: int = 0,
        parent_run_id: int | None = None,
    ) -> int | None:
        """Start one run of ``definition`` and drive it until it rests; its id, or None if it
        did not start (held by another run's question, or started before for this trigger)."""
        start = RunStart(
            self.catalog.by_name[definition.name],
            event,
            ctx,
            trigger_key=trigger_key,
            variables=variables,
            depth=depth,
            parent_run_id=parent_run_id,
        )
        async with self.services.uow() as tx:
            if asks(definition) and await waiting_for_customers(tx, [start.conversation_id]):
                add_log(
                    tx, run_id=None, workflow_id=start.entry.workflow_id, kind="skip", message=HELD
                )
                return None
            (run_id,) = await insert_runs(tx, [start])
            if run_id is None:
                logger.info(
                    "run for %s and %s exists: not started twice", definition.name, start.key
                )
                return None
            begun = await begin(tx, start, run_id)
        self.services.metrics.runs.labels("started").inc()
        await self.go_on(begun)
        return run_id

    async def go_on(self, begun: Begun) -> None:
        """Drive a run whose first transition is stored: make its call, and on until it rests."""
        await self.drive(begun.run, begun.definition, begun.transition, resumed=True)

    async def drive(
        self,
        run: StoredRun,
        definition: Workflow,
        transition: Transition,
        *,
        resumed: bool = False,
        also: Callable[[Tx], Awaitable[None]] | None = None,
    ) -> None:
        """Persist the transition; perform its call and continue until the run rests.

        ``resumed``: the transition is already stored. ``also`` runs in the transaction
        that stores the first transition.
        """
        started = time.perf_counter()
        try:
            while True:
                count_steps(self.services.metrics, transition)
                call = transition.call
                result: CallResult | None = None
                domain_call = call is not None and not isinstance(call, RunAction | TriggerWorkflow)
                if also is not None or not resumed or domain_call:
                    async with self.services.uow() as tx:
                        if also is not None:
                            await also(tx)
                            also = None
                        if not resumed:
                            await save(tx, run, transition)
                        if call is not None and not isinstance(call, RunAction | TriggerWorkflow):
                            result = await perform_domain_call(
                                tx,
                                call,
                                conversation_id=run.conversation_id,
                                lead_id=run.lead_id,
                                pipeline=self.services.pipeline,
                                by=f"workflow:{definition.name}",
                            )
                resumed = False
                if call is None:
                    break
                if result is None:
                    assert isinstance(call, RunAction | TriggerWorkflow)  # domain calls answered
                    result = await self._external(run, call)
                if result is None:  # held until a person clears it
                    break
                ctx = await self.context(run)
                transition = engine.advance(
                    definition, run.state, result, ctx, self.services.clock.now()
                )
        except StaleRunError:
            logger.warning("run %s advanced elsewhere; dropped a transition", run.id)
        finally:
            self.services.metrics.step_seconds.observe(time.perf_counter() - started)
        if run.state.finished:
            self.services.metrics.runs.labels(run.state.status).inc()

    async def _external(
        self, run: StoredRun, call: RunAction | TriggerWorkflow
    ) -> CallResult | None:
        """The call's result, or None when the action's safeguard now holds the run."""
        started = time.perf_counter()
        if isinstance(call, TriggerWorkflow):
            result = await self._trigger_child(run, call)
        else:
            result = await self._act(run, call)
            request = requested(result)
            if request is not None:
                declined = await self.holds.begin(run, call, request, result)
                if declined is None:
                    return None
                result = declined
        async with self.services.uow() as tx:
            add_log(
                tx,
                run_id=run.id,
                workflow_id=run.workflow_id,
                kind="call",
                step_id=run.state.cursor,
                message=f"{call.kind}: {result.outcome}",
                data={"reason": result.reason, "data": result.data},
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        return result

    async def _act(self, run: StoredRun, call: RunAction) -> CallResult:
        """Perform an action with the run's context and the safeguards cleared for this call."""
        key = action_key(call)
        ctx = await self.context(run)
        if run.grants is not None and run.grants.call_key == key:
            ctx.update(run.grants.records)
        context = ActionContext(
            run_id=run.id,
            step_id=call.step_id,
            idempotency_key=key,
            context=ctx,
            services=self.services,
        )
        return await perform_action(self.actions, call, context)

    async def _trigger_child(self, run: StoredRun, call: TriggerWorkflow) -> CallResult:
        await self.catalog.refresh()
        entry = self.catalog.by_name.get(call.workflow)
        if entry is None:
            return CallResult(outcome="failure", reason=f"no workflow named {call.workflow!r}")
        if call.depth > MAX_DEPTH:
            return CallResult(outcome="failure", reason=f"depth {call.depth} exceeds {MAX_DEPTH}")
        ctx = await self.context(run)
        child = await self.start(
            entry.definition,
            None,
            ctx,
            trigger_key=f"run:{run.id}:{run.state.steps_total}",
            variables=call.variables,
            depth=call.depth,
            parent_run_id=run.id,
        )
        if child is None:
            return CallResult(outcome="declined", reason="the workflow did not start")
        return CallResult(outcome="success", data={"run_id": child})

    async def context(self, run: StoredRun) -> dict[str, Any]:
        """What the run's conditions, templates and actions see now."""
        async with run_reader(self.services.db, self.services.clock) as reader:
            return await build_context(
                reader, conversation_id=run.conversation_id, lead_id=run.lead_id
            )

    async def load(self, run_id: int) -> StoredRun | None:
        """The run as stored now (None if it does not exist)."""
        async with run_reader(self.services.db, self.services.clock) as reader:
            found = await load_runs(reader, [run_id])
        return found[0] if found else None

    async def recover(self) -> int:
        """Finish calls a stopped process left open (runs still 'calling'); returns how many.

        The call is made again: domain changes are idempotent and actions get the same
        idempotency key, so nothing happens twice.
        """
        async with self.services.uow() as tx:
            rows = await calling_runs(tx)
        for row in rows:
            call = pending_call(row)
            run = unpack(row)
            if call is None:
                continue
            definition = await self.catalog.version(run.version_id)
            async with self.locks.hold(run.lock_key):
                await self.drive(
                    run, definition, Transition(state=run.state, call=call), resumed=True
                )
        return len(rows)
