"""What every step type is: a pydantic model that knows how to run itself.

A step's ``enter`` runs when the cursor reaches it; ``resume`` runs when an input (the
result of its call, an answer, a timer) arrives for it. Both return a ``StepResult``
telling the engine where to go: an outcome (looked up in ``exits``, else the next step),
a direct ``goto``, wait, make one call, or fail the run.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from workflows.conditions import evaluate
from workflows.effects import CancelTimer, Effect, ScheduleTimer
from workflows.inputs import CallResult
from workflows.rules import Group, Rule
from workflows.state import LogEntry, RunState, WaitingFor
from workflows.templates import render, render_value, template_problems


@dataclass
class StepResult:
    """Where the run goes after a step did its part."""

    exit: str | None = None
    goto: str | None = None
    wait: WaitingFor | None = None
    call: Any = None
    fail: str | None = None
    error: str | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepEnv:
    """What a step may see and touch while it runs: the state, the context, the clock."""

    state: RunState
    base_ctx: dict[str, Any]
    now: datetime
    step_id: str
    effects: list[Effect] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)

    @property
    def ctx(self) -> dict[str, Any]:
        """The runner's context with this run's variables laid over ``vars``."""
        return overlay_vars(self.base_ctx, self.state.variables)

    def render(self, template: str) -> str:
        rendered = render(template, self.ctx)
        self._log_missing(rendered.missing)
        return rendered.text

    def render_value(self, value: Any) -> Any:
        missing: list[str] = []
        result = render_value(value, self.ctx, missing)
        self._log_missing(missing)
        return result

    def check(self, conditions: Group | Rule | None, label: str) -> bool:
        result, checks = evaluate(conditions, self.ctx)
        self.log.append(
            LogEntry(
                kind="condition",
                step_id=self.step_id,
                message=f"{label}: {'true' if result else 'false'}",
                data={"result": result, "checks": [c.to_log() for c in checks]},
            )
        )
        return result

    def key(self, purpose: str) -> str:
        """A key stable for this visit of this step in this run (idempotency, tokens)."""
        return f"{self.state.run_id}:{self.step_id}:{self.state.steps_total}:{purpose}"

    def schedule_timer(self, due_at: datetime) -> str:
        token = self.key("timer")
        self.state.timer_token = token
        self.state.timer_due_at = due_at
        self.effects.append(ScheduleTimer(token=token, due_at=due_at))
        return token

    def cancel_timer(self) -> None:
        if self.state.timer_token is not None:
            self.effects.append(CancelTimer(token=self.state.timer_token))
        self.state.timer_token = None
        self.state.timer_due_at = None

    def _log_missing(self, missing: list[str]) -> None:
        if missing:
            self.log.append(
                LogEntry(
                    kind="info",
                    step_id=self.step_id,
                    message="template variables without a value rendered empty",
                    data={"missing": sorted(set(missing))},
                )
            )


def clipped(text: str, width: int = 40) -> str:
    """``text`` on one line, cut at a word with an ellipsis when longer than ``width``."""
    return textwrap.shorten(text, width, placeholder="…") or text[: width - 1] + "…"


def overlay_vars(ctx: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    merged = dict(ctx)
    merged["vars"] = {**(ctx.get("vars") or {}), **variables}
    return merged


END = "end"
"""The reserved target that ends the run (``exits: {declined: end}``, ``next: end``)."""


class StepBase(BaseModel):
    """Fields every step has. ``OUTCOMES`` are the names its ``exits`` may map; ``next``
    replaces the following step as where an unmapped outcome goes (``end`` ends the run)."""

    model_config = ConfigDict(extra="forbid")

    OUTCOMES: ClassVar[tuple[str, ...]] = ()

    id: str | None = Field(default=None, min_length=1)
    type: str
    exits: dict[str, str] = Field(default_factory=dict)
    next: str | None = Field(default=None, min_length=1)

    @property
    def step_id(self) -> str:
        if self.id is None:
            raise ValueError("step has no id; load it through a Workflow")
        return self.id

    def targets(self) -> list[tuple[str, str]]:
        """(field, step id) pairs this step can go to, other than the next step."""
        found = [(f"exits.{outcome}", target) for outcome, target in self.exits.items()]
        return [*found, ("next", self.next)] if self.next is not None else found

    def static_problems(self) -> list[tuple[str, str]]:
        """(field, reason) problems only visible with the whole model (templates, ...)."""
        return []

    def summary(self) -> str:
        """A short label for graphs and logs."""
        return self.type

    def enter(self, env: StepEnv) -> StepResult:
        raise NotImplementedError

    def resume(self, env: StepEnv, run_input: Any) -> StepResult:
        """Default: the result of this step's call decides the outcome."""
        if isinstance(run_input, CallResult):
            return call_outcome(run_input)
        return StepResult(fail=f"{self.type} cannot handle {type(run_input).__name__}")


def call_outcome(result: CallResult, **data: Any) -> StepResult:
    """Map a call result to the step outcome of the same name (success/declined/failure)."""
    reason = None if result.outcome == "success" else (result.reason or result.outcome)
    return StepResult(
        exit=result.outcome,
        error=reason,
        message=f"call {result.outcome}",
        data={"result": result.data, "reason": result.reason, **data},
    )


def template_fields(step: BaseModel, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """Template syntax problems in the named string fields of ``step``."""
    problems: list[tuple[str, str]] = []
    for name in names:
        value = getattr(step, name, None)
        if isinstance(value, str):
            problems.extend((name, reason) for reason in template_problems(value))
    return problems
