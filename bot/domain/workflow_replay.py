"""Replay a draft of a workflow against the last runs of the stored one: what each run
would have done under the draft (:mod:`workflows.replay`), read from the run logs."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.run_logs import recent_runs
from bot.storage.uow import UnitOfWork
from workflows.replay import LogLine, Outcome, Verdict, compare, recording_of
from workflows.schema import Workflow

VERDICTS: tuple[Verdict, ...] = ("same", "differs", "fails", "would_not_start", "not_comparable")
MAX_RUNS = 10_000


@dataclass(frozen=True)
class ReplayReport:
    """The outcome of each run replayed, newest first, and how many of each verdict."""

    workflow: str
    outcomes: list[Outcome]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    """How long replaying took (reading the runs not counted)."""


async def replay_last(uow: UnitOfWork, draft: Workflow, last: int, now: datetime) -> ReplayReport:
    """Replay ``draft`` against the ``last`` runs of the stored workflow of its name; the
    simulated clock stops at ``now``."""
    runs = await recent_runs(uow, workflow=draft.name, limit=max(1, min(last, MAX_RUNS)))
    started = time.perf_counter()
    outcomes = [
        compare(
            draft,
            recording_of(
                run.id,
                run.status,
                [LogLine(line.kind, line.step_id, line.message, line.data) for line in run.lines],
            ),
            run.id,
            now,
        )
        for run in runs
    ]
    seconds = time.perf_counter() - started
    tally = Counter(o.verdict for o in outcomes)
    return ReplayReport(draft.name, outcomes, {v: tally.get(v, 0) for v in VERDICTS}, seconds)
