"""Resuming many runs at once: one read per table, one transaction for their new states.

Due timers come in hundreds (a 24-hour wait started by a campaign). Fed one by one,
each costs its own reads and its own transaction; here the runs are loaded, their
contexts built and their transitions stored together. The result is the same as
resuming them one by one: the same engine, the same ``save``, under the same
per-conversation locks. Resumed on their own after the batch, as before: a run whose
next step makes a call, a run whose conversation is busy, a second run of the same
conversation (it must see what the first did), and, if the shared transaction fails
(nothing of it is kept), every run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any, Protocol

from sqlalchemy import select

from bot.advisory_locks import AdvisoryLocks
from bot.catalog import Catalog
from bot.keyed_lock import KeyedLock
from bot.metrics import Metrics
from bot.run_context import ContextTarget, build_contexts
from bot.run_store import (
    RUN_COLUMNS,
    RUNS,
    StoredRun,
    load_conversations,
    lock_key,
    read_last_message_ids,
    save,
    unpack,
    write_runs,
)
from bot.services import Services
from bot.uow import Tx
from workflows import engine
from workflows.inputs import RunInput
from workflows.schema import Workflow
from workflows.state import Transition

logger = logging.getLogger(__name__)

Fed = tuple[int, RunInput]
"""A run id and the input it is to be fed."""


class BatchDriver(Protocol):
    """What resuming many runs at once needs of the runner that drives them."""

    services: Services
    catalog: Catalog
    locks: KeyedLock | AdvisoryLocks

    async def resume(self, run_id: int, run_input: RunInput) -> None: ...


class BatchResumer:
    """Feeds inputs to many runs, sharing the reads and the transaction where it can."""

    def __init__(self, runner: BatchDriver) -> None:
        self.runner = runner
        self.services = runner.services

    async def resume_many(self, items: Sequence[Fed]) -> set[int]:
        """Feed each input to its run; returns the ids of runs whose input failed."""
        first: dict[int, RunInput] = {}
        alone: list[Fed] = []
        for run_id, run_input in items:
            if run_id in first:
                alone.append((run_id, run_input))  # a second input for a run follows the first
            else:
                first[run_id] = run_input
        if first:
            try:
                alone = await self._together(first) + alone
            except Exception:
                logger.exception(
                    "resuming %d runs together failed; resuming them one by one", len(first)
                )
                alone = list(first.items()) + alone
        failed: set[int] = set()
        for run_id, run_input in alone:
            try:
                await self.runner.resume(run_id, run_input)
            except Exception:
                logger.exception("resuming run %s failed", run_id)
                failed.add(run_id)
        return failed

    async def _together(self, inputs: dict[int, RunInput]) -> list[Fed]:
        """Resume what can go together; returns the inputs left to feed one by one.

        Left: runs whose conversation is busy, all but the first run of a conversation
        (each must see what the one before it did), and runs whose next step makes a call.
        """
        first_of: dict[str, int] = {}
        for key, run_id in await self._lock_keys(list(inputs)):
            first_of.setdefault(key, run_id)
        locks = self.runner.locks
        keys = sorted(key for key in first_of if not locks.busy(key))
        batched = {first_of[key] for key in keys}
        async with AsyncExitStack() as held:
            for key in keys:
                await held.enter_async_context(locks.hold(key))
            fresh = [run for run in await self._load(sorted(batched)) if not run.state.finished]
            steps, conversations = await self._advance(fresh, inputs)
            together = [step for step in steps if step[2].call is None]
            if together:
                await self._store(together, conversations)
        done = {run.id for run, _, _ in together}
        return [(run_id, run_input) for run_id, run_input in inputs.items() if run_id not in done]

    async def _lock_keys(self, run_ids: list[int]) -> list[tuple[str, int]]:
        """Each run's lock key and id, in id order (read from the state only for runs
        without a conversation, whose key is their lead's)."""
        async with self.services.db.read() as session:
            rows = (
                await session.execute(
                    select(RUNS.c.id, RUNS.c.conversation_id)
                    .where(RUNS.c.id.in_(run_ids))
                    .order_by(RUNS.c.id)
                )
            ).all()
        keyless = {
            run.id: run.lock_key for run in await self._load([i for i, c in rows if c is None])
        }
        return [
            (
                lock_key(conversation_id, None) if conversation_id is not None else keyless[run_id],
                run_id,
            )
            for run_id, conversation_id in rows
            if conversation_id is not None or run_id in keyless
        ]

    async def _load(self, run_ids: list[int]) -> list[StoredRun]:
        if not run_ids:
            return []
        async with self.services.db.read() as session:
            rows = await session.execute(
                select(*RUN_COLUMNS).where(RUNS.c.id.in_(run_ids)).order_by(RUNS.c.id)
            )
            return [unpack(row) for row in rows if row.state]

    async def _advance(
        self, runs: list[StoredRun], inputs: dict[int, RunInput]
    ) -> tuple[list[tuple[StoredRun, Workflow, Transition]], dict[int | None, Any]]:
        """Each run's transition, and the conversation rows their contexts were built from."""
        async with self.services.db.read() as session:
            reader = Tx(session, self.services.clock.now())
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
        return steps, reader.conversations

    async def _store(
        self,
        steps: list[tuple[StoredRun, Workflow, Transition]],
        conversations: dict[int | None, Any],
    ) -> None:
        """Store the transitions in one transaction; their inserts go out together at commit.
        ``conversations``: rows read for the contexts, which the replies reuse (who a
        conversation is never changes)."""
        started = time.perf_counter()
        async with self.services.uow() as tx:
            tx.conversations.update(conversations)
            await load_conversations(tx, (run.conversation_id for run, _, _ in steps))
            await read_last_message_ids(tx, (run.conversation_id for run, _, _ in steps))
            rows: list[dict[str, Any]] = []
            with tx.session.no_autoflush:
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
