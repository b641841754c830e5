"""The run state machine. Pure: the same definition, state, input, context and ``now``
always give the same transition. No I/O, no clock.

The runner loops::

    t = start(definition, ctx, now, run_id=...)
    while True:
        persist t.state, t.effects (outbox / timers) and t.log in one transaction
        if t.call is None: break              # waiting, completed, failed or cancelled
        result = perform(t.call)              # -> CallResult
        t = advance(definition, t.state, result, fresh_ctx, now)

and later resumes a waiting run with ``advance(definition, state, Answer(...) |
TimerFired(...) | Assigned(...) | DeliveryFailed(...) | HumanTookOver(...), ctx, now)``.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from workflows.inputs import (
    Answer,
    Assigned,
    CallResult,
    DeliveryFailed,
    HumanTookOver,
    RunInput,
    TimerFired,
)
from workflows.recording import RECORD, input_summary, recorded_input, recorded_start
from workflows.schema import Workflow
from workflows.state import (
    MAX_DEPTH,
    MAX_STEPS_PER_ACTIVATION,
    LogEntry,
    RunState,
    Transition,
)
from workflows.steps.base import END, StepBase, StepEnv, StepResult

_EXPECTS: dict[type[Any], tuple[str, str | None]] = {
    Answer: ("waiting", "answer"),
    DeliveryFailed: ("waiting", "answer"),
    Assigned: ("waiting", "assignment"),
    CallResult: ("calling", None),
}


def start(
    definition: Workflow,
    ctx: dict[str, Any],
    now: datetime,
    *,
    variables: dict[str, Any] | None = None,
    depth: int = 0,
    run_id: str = "",
) -> Transition:
    """Begin a run of ``definition`` and go as far as it can without waiting."""
    state = RunState(
        workflow=definition.name,
        run_id=run_id,
        cursor=definition.first_step_id(),
        variables=dict(variables or {}),
        depth=depth,
    )
    env = _env(state, ctx, now)
    recorded = recorded_start(ctx, now, variables or {}, depth)
    env.log.append(
        LogEntry(kind="info", message="run started", data={"depth": depth, RECORD: recorded})
    )
    if depth > MAX_DEPTH:
        return _fail(env, f"nesting depth {depth} is more than the limit of {MAX_DEPTH}")
    return _drive(definition, env)


def advance(
    definition: Workflow, state: RunState, run_input: RunInput, ctx: dict[str, Any], now: datetime
) -> Transition:
    """Feed one input to a run that waits or calls, then go on as far as it can."""
    env = _env(_copy_state(state), ctx, now)
    env.state.steps_this_activation = 0
    current = env.state
    recorded = recorded_input(run_input, ctx, now, current.cursor)
    env.log.append(
        LogEntry(
            kind="input",
            step_id=current.cursor,
            message=input_summary(run_input),
            data={RECORD: recorded},
        )
    )
    ignored = _why_ignored(current, run_input)
    if ignored is not None:
        env.log.append(
            LogEntry(kind="info", step_id=current.cursor, message=f"input ignored: {ignored}")
        )
        return Transition(state=state, log=env.log)
    if isinstance(run_input, HumanTookOver):
        env.step_id = current.cursor or ""
        env.cancel_timer()
        current.status, current.waiting_for = "cancelled", None
        env.log.append(
            LogEntry(
                kind="info",
                step_id=current.cursor,
                message=f"question stopped: a human took over ({run_input.reason})",
                data={"reason": run_input.reason},
            )
        )
        return Transition(state=current, effects=env.effects, log=env.log)
    if isinstance(run_input, TimerFired):
        current.timer_token, current.timer_due_at = None, None
    step = definition.step(current.cursor or "")
    if step is None:
        return _fail(env, f"the run is at step {current.cursor!r}, which the workflow lacks")
    env.step_id = step.step_id
    current.status, current.waiting_for = "running", None
    call = _apply(definition, env, step, step.resume(env, run_input))
    if call is not None:
        return _finish(env, call)
    return _drive(definition, env)


def _copy_state(state: RunState) -> RunState:
    """A copy the steps may change; only the mutable fields are copied deeply (deepcopy of
    the whole model is the costliest part of an advance)."""
    return state.model_copy(
        update={"jumps": dict(state.jumps), "variables": copy.deepcopy(state.variables)}
    )


def _why_ignored(state: RunState, run_input: RunInput) -> str | None:
    if state.finished:
        return f"the run is already {state.status}"
    if isinstance(run_input, TimerFired):
        if run_input.token != state.timer_token:
            return "stale timer (its token is not the run's current timer)"
        return None
    if isinstance(run_input, HumanTookOver):
        if state.waiting_for != "answer":
            return "a human took over, but the run does not wait for the customer"
        return None
    status, waiting_for = _EXPECTS[type(run_input)]
    if state.status != status or (waiting_for and state.waiting_for != waiting_for):
        what = state.waiting_for or state.status
        return f"{type(run_input).__name__} arrived while the run is {state.status} ({what})"
    return None


def _drive(definition: Workflow, env: StepEnv) -> Transition:
    state = env.state
    while state.status == "running":
        if state.cursor is None:
            state.status = "completed"
            env.log.append(LogEntry(kind="info", message="run completed"))
            break
        if state.steps_this_activation >= MAX_STEPS_PER_ACTIVATION:
            return _fail(
                env,
                f"stopped after {MAX_STEPS_PER_ACTIVATION} steps without waiting "
                "(a loop without a wait or question?)",
            )
        step = definition.step(state.cursor)
        if step is None:
            return _fail(env, f"no step with id {state.cursor!r}")
        state.steps_this_activation += 1
        state.steps_total += 1
        env.step_id = step.step_id
        call = _apply(definition, env, step, step.enter(env))
        if call is not None:
            return _finish(env, call)
    return _finish(env)


def _apply(definition: Workflow, env: StepEnv, step: StepBase, result: StepResult) -> Any:
    """Record ``result`` and move the cursor. Returns the call to make, if any."""
    state = env.state
    data = dict(result.data)
    if result.exit is not None:
        data["exit"] = result.exit
    env.log.append(
        LogEntry(
            kind="step", step_id=env.step_id, message=f"{step.type}: {result.message}", data=data
        )
    )
    if result.error is not None:
        env.log.append(LogEntry(kind="error", step_id=env.step_id, message=result.error))
    if result.fail is not None:
        _fail(env, result.fail)
        return None
    if result.call is not None:
        state.status = "calling"
        return result.call
    if result.wait is not None:
        state.status, state.waiting_for = "waiting", result.wait
        return None
    target = result.goto
    if target is None and result.exit is not None:
        target = step.exits.get(result.exit)
    if target is None:
        target = step.next
    if target == END:
        state.cursor = None
    elif target is not None:
        if definition.step(target) is None:
            _fail(env, f"step {env.step_id!r} points at {target!r}, which does not exist")
            return None
        state.cursor = target
    else:
        state.cursor = definition.next_step_id(env.step_id)
    state.attempts = 0
    return None


def _fail(env: StepEnv, reason: str) -> Transition:
    env.cancel_timer()
    env.state.status, env.state.waiting_for, env.state.error = "failed", None, reason
    env.log.append(
        LogEntry(kind="error", step_id=env.state.cursor, message=f"run failed: {reason}")
    )
    return _finish(env)


def _finish(env: StepEnv, call: Any = None) -> Transition:
    return Transition(state=env.state, effects=env.effects, call=call, log=env.log)


def _env(state: RunState, ctx: dict[str, Any], now: datetime) -> StepEnv:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return StepEnv(state=state, base_ctx=ctx, now=now, step_id=state.cursor or "")
