"""A/B test results: for each split step of a workflow, how many conversations each branch
got in a period, how many reached the split's goal, and the goal rate with its 95 %
confidence interval (Wilson score)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.domain import split_records
from bot.storage.domain.split_records import GoalEvent, SplitChoice
from bot.storage.uow import UnitOfWork
from workflows.durations import parse_duration

Z_95 = 1.959964


@dataclass(frozen=True)
class BranchResult:
    name: str
    runs: int
    goals: int
    rate: float | None
    low: float | None
    high: float | None
    """The 95 % interval of the goal rate (None without a goal or runs)."""


@dataclass(frozen=True)
class SplitResult:
    step_id: str
    goal: dict[str, Any] | None
    branches: list[BranchResult]


def wilson(goals: int, runs: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of ``goals`` successes in ``runs`` trials."""
    if runs == 0:
        return 0.0, 1.0
    p = goals / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    spread = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


async def split_results(
    uow: UnitOfWork, workflow: str, since: datetime, until: datetime
) -> list[SplitResult]:
    """The results of each split step of ``workflow`` whose branches were taken in
    ``[since, until]``; a goal counts when it happened within its window of the split."""
    async with uow() as tx:
        choices = await split_records.split_choices(tx, workflow, since, until)
        types = sorted({c.goal["event"] for c in choices if c.goal and "event" in c.goal})
        conversations = [c.conversation_id for c in choices if c.conversation_id is not None]
        events = (
            await split_records.events_of(tx, conversations, types, since)
            if types and conversations
            else []
        )
    by_conversation: dict[int, list[GoalEvent]] = defaultdict(list)
    for event in events:
        by_conversation[event.conversation_id].append(event)
    by_step: dict[str, list[SplitChoice]] = defaultdict(list)
    for choice in choices:
        by_step[choice.step_id].append(choice)
    return [_result(step, taken, by_conversation) for step, taken in sorted(by_step.items())]


def _result(
    step_id: str, taken: list[SplitChoice], events: dict[int, list[GoalEvent]]
) -> SplitResult:
    goal = taken[-1].goal
    runs: dict[str, int] = defaultdict(int)
    goals: dict[str, int] = defaultdict(int)
    for choice in taken:
        runs[choice.branch] += 1
        if goal is not None and _reached(choice, events.get(choice.conversation_id or -1, [])):
            goals[choice.branch] += 1
    branches = []
    for name in sorted(runs):
        n, k = runs[name], goals[name]
        if goal is None:
            branches.append(BranchResult(name, n, 0, None, None, None))
        else:
            low, high = wilson(k, n)
            branches.append(BranchResult(name, n, k, k / n, low, high))
    return SplitResult(step_id, goal, branches)


def _reached(choice: SplitChoice, events: list[GoalEvent]) -> bool:
    goal = choice.goal or {}
    window = parse_duration(str(goal.get("within", "7d")))
    for event in events:
        if event.type != goal.get("event"):
            continue
        if not choice.at <= event.at <= choice.at + window:
            continue
        wanted = goal.get("tag")
        if (
            wanted is not None
            and str(event.data.get("tag", "")).casefold() != str(wanted).casefold()
        ):
            continue
        return True
    return False
