"""Resuming runs: feed inputs to waiting runs and drive them, one run or many at once.

There is one path: a single resume is a batch of one. The runs are loaded under their
conversations' locks, their contexts built with one read per table, the engine advanced,
and the transitions that make no call stored in one transaction (one ``UPDATE`` for the
runs). A batch of one waits for its conversation's lock and drives a run whose next step
makes a call. Due timers come in hundreds (a 24-hour wait started by a campaign); in a
batch of many, these go alone after the rest, each as a batch of one: a run whose next
step makes a call, a run whose conversation is busy, a second run of the same
conversation (it must see what the first did), and, if the shared transaction fails
(nothing of it is kept), every run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any, Protocol

from bot.core.keyed_lock import KeyedLock
from bot.core.metrics import Metrics
from bot.domain.catalog import Catalog
from bot.pipeline.run_context import ContextTarget, build_contexts
from bot.pipeline.run_store import (
    StaleRunError,
    StoredRun,
    load_conversations,
    load_runs,
    lock_key,
    read_last_message_ids,
    save,
    write_runs,
)
from bot.pipeline.services import Services
from bot.storage.advisory_locks import AdvisoryLocks
from bot.storage.pipeline.run_records import conversations_of_runs, run_reader, without_autoflush
from workflows import engine
from workflows.inputs import RunInput
from workflows.schema import Workflow
from workflows.state import Transition

logger = logging.getLogger(__name__)

Fed = tuple[int, RunInput]
"""A run id and the input it is to be fed."""
Step = tuple[StoredRun, Workflow, Transition]
"""A run, its workflow version and the transition the engine gave for its input."""


class ResumeDriver(Protocol):
    """What resuming runs needs of the runner that drives them."""

    services: Services
    catalog: Catalog
    locks: KeyedLock | AdvisoryLocks

    async def drive(self, run: StoredRun, definition: Workflow, transition: Transition) -> None: ...


class RunResumer:
    """Feeds inputs to waiting runs, sharing the reads and the transaction where it can."""

    def __init__(self, runner: ResumeDriver) -> None:
        self.runner = runner
        self.services = runner.services

    async def resume(self, run_id: int, run_input: RunInput, *, locked: bool = False) -> None:
        """Feed ``run_input`` to a run (a batch of one), serialized with its conversation;
        ``locked``: the caller holds the conversation's lock. Raises what failed."""
        try:
            await self._go({run_id: run_input}, locked=locked)
        except StaleRunError:
            logger.warning("run %s advanced elsewhere; dropped a transition", run_id)

    async def resume_many(self, items: Sequence[Fed]) -> set[int]:
        """Feed each input to its run; returns the ids of runs whose input failed."""
        first: dict[int, RunInput] = {}
        alone: list[Fed] = []
        for run_id, run_input in items:
            if run_id in first:
                alone.append((run_id, run_input))  # a second input for a run follows the first
            else:
                first[run_id] = run_input
        if len(first) > 1:
            try:
                alone = await self._go(first) + alone
            except Exception:
                logger.exception(
                    "resuming %d runs together failed; resuming them one by one", len(first)
                )
                alone = list(first.items()) + alone
        else:
            alone = list(first.items()) + alone
        failed: set[int] = set()
        for run_id, run_input in alone:
            try:
                await self.resume(run_id, run_input)
            except Exception:
                logger.exception("resuming run %s failed", run_id)
                failed.add(run_id)
        return failed

    async def _go(self, inputs: dict[int, RunInput], *, locked: bool = False) -> list[Fed]:
        """Resume what can go together; returns the inputs left to feed one by one.

        A batch of one leaves nothing. Of more, left: runs whose conversation is busy, all
        but the first run of a conversation, and runs whose next step makes a call.
        """
        one = len(inputs) == 1
        locks = self.runner.locks
        keys: list[str] = []
        if locked:
            batched = sorted(inputs)
        else:
            first_of: dict[str, int] = {}
            for key, run_id in await self._lock_keys(list(inputs)):
                first_of.setdefault(key, run_id)
            keys = sorted(key for key in first_of if one or not locks.busy(key))
            batched = sorted(first_of[key] for key in keys)
        async with AsyncExitStack() as held:
            for key in keys:
                await held.enter_async_context(locks.hold(key))
            steps, conversations = await self._advance(batched, inputs)
            together = [step for step in steps if step[2].call is None]
            if together:
                await self._store(together, conversations)
            if one:
                for run, definition, transition in steps:
                    if transition.call is not None:
                        await self.runner.drive(run, definition, transition)
                return []
        calling = {run.id for run, _, transition in steps if transition.call is not None}
        done = set(batched) - calling
        return [(run_id, run_input) for run_id, run_input in inputs.items() if run_id not in done]

    async def _lock_keys(self, run_ids: list[int]) -> list[tuple[str, int]]:
        """Each run's lock key and id, in id order (read from the state only for runs
        without a conversation, whose key is their lead's)."""
        async with run_reader(self.services.db, self.services.clock) as reader:
            rows = await conversations_of_runs(reader, run_ids)
            keyless = [run_id for run_id, conversation_id in rows if conversation_id is None]
            keys = {run.id: run.lock_key for run in await load_runs(reader, keyless)}
        return [
            (
                lock_key(conversation_id, None) if conversation_id is not None else keys[run_id],
                run_id,
            )
            for run_id, conversation_id in rows
            if conversation_id is not None or run_id in keys
        ]

    async def _advance(
        self, run_ids: list[int], inputs: dict[int, RunInput]
    ) -> tuple[list[Step], dict[int | None, Any]]:
        """The unfinished runs' transitions, and the conversation rows their contexts were
        built from."""
        if not run_ids:
            return [], {}
        async with run_reader(self.services.db, self.services.clock) as reader:
            runs = [run for run in await load_runs(reader, run_ids) if not run.state.finished]
            contexts = await build_contexts(
                reader, [ContextTarget(run.conversation_id, run.lead_id) for run in runs]
            )
        now = self.services.clock.now()
        steps = []
        for run, ctx in zip(runs, contexts, strict=True):
            definition = await self.runner.catalog.version(run.version_id)
            steps.append(
                (run, definition, engine.advance(definition, run.state, inputs[run.id], ctx, now))
            )
        return steps, reader.read_ahead.conversations

    async def _store(self, steps: list[Step], conversations: dict[int | None, Any]) -> None:
        """Store the transitions in one transaction; their inserts go out together at commit.
        ``conversations``: rows read for the contexts, which the replies reuse (who a
        conversation is never changes)."""
        started = time.perf_counter()
        async with self.services.uow() as tx:
            tx.read_ahead.conversations.update(conversations)
            await load_conversations(tx, (run.conversation_id for run, _, _ in steps))
            if len(steps) > 1:  # one run reads its newest message only if it asks
                await read_last_message_ids(tx, (run.conversation_id for run, _, _ in steps))
            rows: list[dict[str, Any]] = []
            with without_autoflush(tx):
                for run, _, transition in steps:
                    await save(tx, run, transition, deferred=rows)
            await write_runs(tx, rows)
        metrics = self.services.metrics
        share = (time.perf_counter() - started) / len(steps)
        for run, _, transition in steps:
            count_steps(metrics, transition)
            metrics.step_seconds.observe(share)
            if run.state.finished:
                metrics.runs.labels(run.state.status).inc()


def count_steps(metrics: Metrics, transition: Transition) -> None:
    """Count the steps ``transition`` executed (entered or resumed), by type."""
    for entry in transition.log:
        if entry.kind == "step":
            metrics.steps.labels(entry.message.split(":", 1)[0]).inc()
