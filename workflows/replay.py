"""Replaying recorded runs against another version of a workflow, in the pure engine.

A run's log keeps what the run was given: the context and time it started with
(:func:`recorded_start`) and every input fed to it later with the context and time of
that moment (:func:`recorded_input`). :func:`replay` drives a draft through
:mod:`workflows.engine` on those inputs with a simulated clock: the customers' answers come
when they came, the draft's own timers fire when they fall due, a call is answered with
the result the recorded run got at the same step, and every effect is dropped, so nothing
reaches anyone. :func:`compare` says whether the draft takes the recorded run's path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from workflows import engine
from workflows.inputs import CallResult, RunInput, TimerFired
from workflows.recording import RECORD
from workflows.schema import Workflow
from workflows.state import LogEntry
from workflows.triggers import TriggerIndex

MAX_ACTIVATIONS = 500
"""A replay that needs more start/advance calls than this stops (a loop on timers)."""

_INPUT = TypeAdapter[RunInput](RunInput)

Verdict = Literal["same", "differs", "fails", "would_not_start", "not_comparable"]


@dataclass(frozen=True)
class LogLine:
    """A stored run log line, as replay reads it."""

    kind: str
    step_id: str | None
    message: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class PathStep:
    """A step a run went through, and the exit it left by (None: its only way on)."""

    step_id: str
    exit: str | None = None

    def __str__(self) -> str:
        return self.step_id if self.exit is None else f"{self.step_id} ({self.exit})"


@dataclass(frozen=True)
class RecordedInput:
    run_input: Any
    ctx: dict[str, Any]
    now: datetime
    at_step: str | None


@dataclass(frozen=True)
class Recording:
    """One recorded run: how it started, what it was given, where it went."""

    run_id: int
    event: str
    ctx: dict[str, Any]
    now: datetime
    variables: dict[str, Any]
    depth: int
    inputs: list[RecordedInput]
    path: list[PathStep]
    status: str
    checks: dict[str, list[dict[str, Any]]]
    """The conditions checked at each step: their comparisons."""


@dataclass(frozen=True)
class Replayed:
    path: list[PathStep]
    status: str
    error: str | None
    log: list[LogEntry]
    problem: str | None = None
    """Why the replay could not go on (a call whose result the recording lacks)."""


@dataclass(frozen=True)
class Outcome:
    """What a draft would have done with one recorded run."""

    run_id: int
    verdict: Verdict
    reason: str
    step_id: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    """The comparisons the draft made at ``step_id``, with the values compared."""
    recorded_checks: list[dict[str, Any]] = field(default_factory=list)
    recorded_path: list[PathStep] = field(default_factory=list)
    replayed_path: list[PathStep] = field(default_factory=list)
    recorded_status: str = ""
    replayed_status: str = ""


def recording_of(run_id: int, status: str, lines: Sequence[LogLine]) -> Recording | str:
    """The recording in a run's log lines (in order), or why there is none."""
    start: Mapping[str, Any] | None = None
    inputs: list[RecordedInput] = []
    path: list[PathStep] = []
    checks: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        record = line.data.get(RECORD) if isinstance(line.data, Mapping) else None
        if line.kind in ("info", "input") and isinstance(record, Mapping):
            if line.kind == "input":
                try:
                    parsed = _INPUT.validate_python(record["input"])
                except ValidationError:
                    return "an input of this run cannot be read back"
                inputs.append(
                    RecordedInput(
                        parsed,
                        dict(record.get("ctx") or {}),
                        datetime.fromisoformat(str(record["now"])),
                        record.get("at_step"),
                    )
                )
            elif start is None:
                start = record
        elif line.kind == "step" and line.step_id:
            exit_ = line.data.get("exit") if isinstance(line.data, Mapping) else None
            path.append(PathStep(line.step_id, exit_ if isinstance(exit_, str) else None))
        elif line.kind == "condition" and line.step_id:
            checks.setdefault(line.step_id, []).extend(line.data.get("checks") or [])
    if start is None:
        return "recorded before runs kept their inputs"
    ctx = dict(start.get("ctx") or {})
    event = ctx.get("event")
    return Recording(
        run_id=run_id,
        event=str(event.get("type")) if isinstance(event, Mapping) else "",
        ctx=ctx,
        now=datetime.fromisoformat(str(start["now"])),
        variables=dict(start.get("variables") or {}),
        depth=int(start.get("depth") or 0),
        inputs=inputs,
        path=path,
        status=status,
        checks=checks,
    )


def replay(draft: Workflow, recording: Recording, until: datetime) -> Replayed:
    """Drive ``draft`` on the recording's inputs with a simulated clock; timers due by
    ``until`` fire when nothing the customer did came first."""
    transition = engine.start(
        draft,
        recording.ctx,
        recording.now,
        variables=recording.variables,
        depth=recording.depth,
        run_id=f"replay-{recording.run_id}",
    )
    log = list(transition.log)
    answers = [i for i in recording.inputs if not isinstance(i.run_input, CallResult | TimerFired)]
    results = [i for i in recording.inputs if isinstance(i.run_input, CallResult)]
    clock, ctx, problem = recording.now, recording.ctx, None
    for _ in range(MAX_ACTIVATIONS):
        state = transition.state
        if state.finished:
            break
        if transition.call is not None:
            found = next((r for r in results if r.at_step == state.cursor), None)
            if found is None:
                problem = (
                    f"step {state.cursor!r} makes a call the recorded run never made there,"
                    " so its result is unknown"
                )
                break
            results.remove(found)
            transition = engine.advance(draft, state, found.run_input, found.ctx, clock)
        else:
            coming = answers[0] if answers else None
            due = state.timer_due_at
            if due is not None and due <= (coming.now if coming is not None else until):
                clock = max(clock, due)
                fired = TimerFired(token=state.timer_token or "")
                transition = engine.advance(draft, state, fired, ctx, clock)
            elif coming is not None:
                answers.pop(0)
                clock, ctx = max(clock, coming.now), coming.ctx
                transition = engine.advance(draft, state, coming.run_input, ctx, clock)
            else:
                break
        log.extend(transition.log)
    else:
        problem = f"more than {MAX_ACTIVATIONS} activations: a loop on timers"
    state = transition.state
    return Replayed(_path(log), state.status, state.error, log, problem)


def compare(draft: Workflow, recording: Recording | str, run_id: int, until: datetime) -> Outcome:
    """Whether ``draft`` would take the recorded run's path, and if not where and why."""
    if isinstance(recording, str):
        return Outcome(run_id, "not_comparable", recording)
    if recording.event and recording.event != draft.trigger.event:
        return Outcome(
            run_id,
            "not_comparable",
            f"the draft starts on {draft.trigger.event}, this run on {recording.event}",
        )
    if recording.event:
        report = TriggerIndex([draft.model_copy(update={"enabled": True})]).match(
            recording.event, recording.ctx
        )
        if not report.matched:
            skipped = report.skipped[0]
            return Outcome(
                run_id,
                "would_not_start",
                f"the draft would not start: {skipped.reason}",
                checks=[c.to_log() for c in skipped.checks],
                recorded_path=recording.path,
                recorded_status=recording.status,
            )
    replayed = replay(draft, recording, until)

    def outcome(verdict: Verdict, reason: str, step: str | None = None) -> Outcome:
        return Outcome(
            run_id,
            verdict,
            reason,
            step,
            _checks_at(replayed.log, step) if step else [],
            recording.checks.get(step or "", []),
            recording.path,
            replayed.path,
            recording.status,
            replayed.status,
        )

    if replayed.problem is not None:
        return outcome("not_comparable", replayed.problem)
    if replayed.status == "failed" and recording.status != "failed":
        step = replayed.path[-1].step_id if replayed.path else None
        return outcome("fails", replayed.error or "the run failed", step)
    if replayed.path == recording.path and _same_end(replayed.status, recording.status):
        return outcome("same", "the same path")
    reason, step = _difference(
        recording, replayed, _first_difference(recording.path, replayed.path)
    )
    return outcome("differs", reason, step)


def _path(log: Sequence[LogEntry]) -> list[PathStep]:
    steps = []
    for entry in log:
        if entry.kind == "step" and entry.step_id:
            exit_ = entry.data.get("exit")
            steps.append(PathStep(entry.step_id, exit_ if isinstance(exit_, str) else None))
    return steps


def _same_end(replayed: str, recorded: str) -> bool:
    """A run that rests (waiting, calling, running when recorded) matches one resting too."""
    resting = {"waiting", "calling", "running"}
    return replayed == recorded or (replayed in resting and recorded in resting)


def _first_difference(before: Sequence[PathStep], after: Sequence[PathStep]) -> int:
    for index, (old, new) in enumerate(zip(before, after, strict=False)):
        if old != new:
            return index
    return min(len(before), len(after))


def _difference(recording: Recording, replayed: Replayed, index: int) -> tuple[str, str | None]:
    before, after = recording.path, replayed.path
    if index < len(before) and index < len(after):
        old, new = before[index], after[index]
        if old.step_id == new.step_id:
            return (
                f"at {old.step_id}: {_exit_text(new.exit)} instead of {_exit_text(old.exit)}",
                old.step_id,
            )
        if index > 0:
            decided = after[index - 1].step_id
            return f"after {decided}: goes to {new.step_id} instead of {old.step_id}", decided
        return f"starts at {new.step_id} instead of {old.step_id}", new.step_id
    if index < len(before):
        last = after[-1].step_id if after else None
        return (
            f"stops before {before[index]} ({replayed.status}; the recorded run went on)",
            last,
        )
    if index < len(after):
        return f"goes on to {after[index]} where the recorded run stopped", after[index].step_id
    return f"ends {replayed.status} instead of {recording.status}", after[
        -1
    ].step_id if after else None


def _exit_text(exit_: str | None) -> str:
    return f"exit {exit_}" if exit_ else "no exit"


def _checks_at(log: Sequence[LogEntry], step_id: str | None) -> list[dict[str, Any]]:
    return [
        check
        for entry in log
        if entry.kind == "condition" and entry.step_id == step_id
        for check in entry.data.get("checks", [])
    ]
