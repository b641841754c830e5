"""wait: pause for a duration (`24h`, `PT2H`) or until a time; resumed by a timer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import field_validator, model_validator

from workflows.durations import parse_duration
from workflows.inputs import TimerFired
from workflows.steps.base import StepBase, StepEnv, StepResult
from workflows.values import to_temporal


class WaitStep(StepBase):
    type: Literal["wait"] = "wait"
    duration: str | None = None
    until: str | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, duration: str | None) -> str | None:
        if duration is not None:
            parse_duration(duration)
        return duration

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, until: Any) -> Any:
        if isinstance(until, datetime):
            return until.isoformat()
        templated = until is None or "{{" in str(until)
        if not templated and not isinstance(to_temporal(str(until)), datetime):
            raise ValueError(f"{until!r} is not an ISO 8601 date and time")
        return until

    @model_validator(mode="after")
    def _one(self) -> WaitStep:
        if (self.duration is None) == (self.until is None):
            raise ValueError("wait needs exactly one of duration or until")
        return self

    def summary(self) -> str:
        return f"wait {self.duration or 'until ' + str(self.until)}"

    def enter(self, env: StepEnv) -> StepResult:
        if self.duration is not None:
            due = env.now + parse_duration(self.duration)
        else:
            parsed = to_temporal(env.render(self.until or ""))
            if not isinstance(parsed, datetime):
                return StepResult(fail=f"wait until {self.until!r}: not a date and time")
            due = parsed.astimezone(UTC)
        if due <= env.now:
            return StepResult(message="wait is already over", data={"until": due.isoformat()})
        env.schedule_timer(due)
        return StepResult(wait="timer", message="waiting", data={"until": due.isoformat()})

    def resume(self, env: StepEnv, run_input: Any) -> StepResult:
        if isinstance(run_input, TimerFired):
            return StepResult(message="wait over")
        return super().resume(env, run_input)
