"""A workflow's funnel over a period: per step, how many runs reached it, left it by which
exit (to which step), failed there or stay there now; with the workflow's flowchart and
the badges that put the same numbers on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain.workflow_store import parse_stored
from bot.storage.domain import funnel_records
from bot.storage.domain.funnel_records import Leaving
from bot.storage.uow import UnitOfWork
from workflows import flowchart

PRESETS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
"""The periods one picks by name, each ending now (by the services' clock)."""
DEFAULT_PRESET = "7d"
STUCK = ("running", "calling", "waiting")
"""Stored statuses of a run that has not ended: it stays at its step for now."""


@dataclass(frozen=True)
class Period:
    """``[since, until)``; ``preset`` names it ("custom" for chosen times). A preset ends
    now and takes every run started since (``open_end``: none can start later)."""

    since: datetime
    until: datetime
    preset: str

    @property
    def open_end(self) -> bool:
        return self.preset != "custom"


def period_of(
    now: datetime, preset: str | None, since: datetime | None, until: datetime | None
) -> Period:
    """The period a request asks for: chosen times (either end may be left to the default
    preset's), or a preset ending now."""
    if since is not None or until is not None:
        end = until or now
        try:
            start = since or end - PRESETS[DEFAULT_PRESET]
        except OverflowError as exc:
            raise ValidationFailed("until", "is too early") from exc
        if start >= end:
            raise ValidationFailed("since", "must be before until")
        return Period(start, end, "custom")
    name = preset or DEFAULT_PRESET
    if name not in PRESETS:
        raise ValidationFailed("period", f"must be one of {', '.join(PRESETS)} or custom")
    return Period(now - PRESETS[name], now, name)


@dataclass(frozen=True)
class ExitCount:
    """Runs that left a step by ``exit`` ("" for the plain next step) to step ``to`` (None:
    the run ended there)."""

    exit: str
    to: str | None
    runs: int


@dataclass
class StepFunnel:
    step_id: str
    label: str
    reached: int = 0
    exits: list[ExitCount] = field(default_factory=list)
    failed: int = 0
    stuck: int = 0
    in_workflow: bool = True
    """False for a step of an older version that the current one lacks."""


@dataclass
class Funnel:
    workflow: str
    version: int
    period: Period
    started: int
    completed: int
    cancelled: int
    failed: int
    in_progress: int
    steps: list[StepFunnel]
    chart: dict[str, Any]
    badges: dict[str, str]
    edge_badges: dict[str, str]


def _chart_json(chart: flowchart.Chart) -> dict[str, Any]:
    return {
        "nodes": [{"key": n.key, "label": n.label, "shape": n.shape} for n in chart.nodes],
        "edges": [
            {"source": e.source, "target": e.target, "label": e.label, "dashed": e.dashed}
            for e in chart.edges
        ],
    }


async def funnel(uow: UnitOfWork, name: str, period: Period) -> Funnel:
    """The funnel of workflow ``name`` for the runs started in ``period``."""
    async with uow() as tx:
        current = await funnel_records.current_version(tx, name)
        if current is None:
            raise NotFoundError(f"no workflow named {name!r}")
        wid, since = current.workflow_id, period.since
        until = None if period.open_end else period.until
        by_status = await funnel_records.statuses(tx, wid, since, until)
        reached = await funnel_records.reached(tx, wid, since, until)
        leavings = await funnel_records.leavings(tx, wid, since, until)
    workflow = parse_stored(current.definition, name)
    chart = flowchart.chart(workflow)
    keys = {step.step_id: f"s{index}" for index, step in enumerate(workflow.steps)}
    labels = {node.key: node.label for node in chart.nodes}
    steps = {sid: StepFunnel(sid, labels.get(key, sid)) for sid, key in keys.items()}
    for sid in sorted(set(reached) - set(steps)):
        steps[sid] = StepFunnel(sid, sid, in_workflow=False)
    for sid, count in reached.items():
        steps[sid].reached = count
    _count_leavings(steps, leavings)
    total = sum(by_status.values())
    result = Funnel(
        workflow=name,
        version=current.version,
        period=period,
        started=total,
        completed=by_status.get("completed", 0),
        cancelled=by_status.get("cancelled", 0),
        failed=by_status.get("failed", 0),
        in_progress=sum(by_status.get(s, 0) for s in STUCK),
        steps=list(steps.values()),
        chart=_chart_json(chart),
        badges={},
        edge_badges={},
    )
    _badges(result, keys, leavings)
    return result


def _count_leavings(steps: dict[str, StepFunnel], leavings: list[Leaving]) -> None:
    exits: dict[str, dict[tuple[str, str | None], int]] = {}
    for leaving in leavings:
        step = steps[leaving.step_id]
        if leaving.next_step is None and leaving.status == "failed":
            step.failed += leaving.runs
        elif leaving.next_step is None and leaving.status in STUCK:
            step.stuck += leaving.runs
        else:
            name = leaving.exit or ("cancelled" if leaving.status == "cancelled" else "")
            key = (name, leaving.next_step)
            mine = exits.setdefault(leaving.step_id, {})
            mine[key] = mine.get(key, 0) + leaving.runs
    for sid, counted in exits.items():
        steps[sid].exits = [
            ExitCount(name, to, runs)
            for (name, to), runs in sorted(counted.items(), key=lambda item: -item[1])
        ]


def _badges(result: Funnel, keys: dict[str, str], leavings: list[Leaving]) -> None:
    """Node badges (runs that reached each box, with failed and stuck ones) and edge
    badges (runs that took each arrow) in the flowchart's keys."""
    result.badges[flowchart.TRIGGER] = f"{result.started} started"
    if result.completed:
        result.badges[flowchart.DONE] = f"{result.completed} completed"
    for step in result.steps:
        key = keys.get(step.step_id)
        if key is None or not step.reached:
            continue
        text = str(step.reached)
        if step.failed:
            text += f" · {step.failed} failed"
        if step.stuck:
            text += f" · {step.stuck} waiting"
        result.badges[key] = text
    edges: dict[str, int] = {}
    first = result.steps[0] if result.steps and result.steps[0].in_workflow else None
    if first is not None and first.reached:
        edges[f"{flowchart.TRIGGER}->{keys[first.step_id]}"] = first.reached
    for leaving in leavings:
        source = keys.get(leaving.step_id)
        if source is None:
            continue
        if leaving.next_step is None:
            if leaving.status != "completed":
                continue  # failed, cancelled or still there: no arrow taken
            target = flowchart.DONE
        else:
            found = keys.get(leaving.next_step)
            if found is None:
                continue
            target = found
        pair = f"{source}->{target}"
        edges[pair] = edges.get(pair, 0) + leaving.runs
    result.edge_badges.update({pair: str(runs) for pair, runs in edges.items()})
