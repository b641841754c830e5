"""Which workflows does an event start? Indexed by event type, then filters, then conditions.

Only the workflows listening to the event's type are looked at, so matching one event
against 1,000 workflows costs about as much as the handful that listen to it.

When several workflows match, they start highest ``priority`` first (equal priorities
in the order they were added: the catalog adds them in the order they were imported). An ``exclusive`` workflow claims the event: the matching workflows after it
are skipped, and their log line names the one that took the event.
"""

from __future__ import annotations

import re
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workflows.conditions import Check, evaluate
from workflows.paths import resolve
from workflows.schema import Trigger, Workflow
from workflows.values import loose_equal


@dataclass(frozen=True)
class Skipped:
    """A workflow that listens to the event but did not start, and why (for the run log)."""

    workflow: str
    reason: str
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class MatchReport:
    matched: list[Workflow]
    skipped: list[Skipped]


class TriggerIndex:
    """Workflows by the event type of their trigger."""

    def __init__(self, workflows: Iterable[Workflow] = ()) -> None:
        self._by_event: dict[str, list[Workflow]] = defaultdict(list)
        self._patterns: dict[int, re.Pattern[str]] = {}
        for workflow in workflows:
            self.add(workflow)

    def add(self, workflow: Workflow) -> None:
        insort(self._by_event[workflow.trigger.event], workflow, key=start_order)
        if workflow.trigger.text_matches is not None:
            self._patterns[id(workflow)] = re.compile(workflow.trigger.text_matches)

    def listening(self, event_type: str) -> list[Workflow]:
        return list(self._by_event.get(event_type, ()))

    def match(self, event_type: str, ctx: dict[str, Any]) -> MatchReport:
        """The enabled workflows whose trigger filters and conditions hold for ``ctx``, in
        start order; none after the first exclusive one."""
        matched: list[Workflow] = []
        skipped: list[Skipped] = []
        winner: Workflow | None = None
        for workflow in self._by_event.get(event_type, ()):
            if not workflow.enabled:
                skipped.append(Skipped(workflow.name, "disabled"))
                continue
            refused = self._filter_refusal(workflow, ctx)
            if refused is not None:
                skipped.append(Skipped(workflow.name, refused))
                continue
            ok, checks = evaluate(workflow.conditions, ctx)
            if not ok:
                skipped.append(Skipped(workflow.name, "conditions false", checks))
            elif winner is not None:
                skipped.append(Skipped(workflow.name, claimed_by(winner), checks))
            else:
                matched.append(workflow)
                winner = workflow if workflow.exclusive else None
        return MatchReport(matched, skipped)

    def _filter_refusal(self, workflow: Workflow, ctx: dict[str, Any]) -> str | None:
        trigger: Trigger = workflow.trigger
        channels = trigger.channels()
        channel = resolve(ctx, "conversation.channel")
        if channels and not any(loose_equal(channel, wanted) for wanted in channels):
            return f"channel is {channel!r}, not {' or '.join(channels)}"
        for name, path in (
            ("from_stage", "event.from_stage"),
            ("to_stage", "event.to_stage"),
            ("tag", "event.tag"),
        ):
            wanted = getattr(trigger, name)
            actual = resolve(ctx, path)
            if wanted is not None and not loose_equal(actual, wanted):
                return f"{name} is {actual!r}, not {wanted!r}"
        text = resolve(ctx, "message.text")
        text = text if isinstance(text, str) else ""
        if (
            trigger.text_contains is not None
            and trigger.text_contains.casefold() not in text.casefold()
        ):
            return f"message text does not contain {trigger.text_contains!r}"
        pattern = self._patterns.get(id(workflow))
        if pattern is not None and pattern.search(text) is None:
            return f"message text does not match {pattern.pattern!r}"
        return None


def start_order(workflow: Workflow) -> int:
    """Highest priority first (``insort`` keeps equal ones in the order they came)."""
    return -workflow.priority


def claimed_by(winner: Workflow) -> str:
    """Why a workflow after an exclusive one did not start."""
    return f"{winner.name} took the event (exclusive, priority {winner.priority})"
