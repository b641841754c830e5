"""run_action: call a registered integration action with templated inputs."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from workflows.effects import RunAction
from workflows.inputs import CallResult
from workflows.steps.base import StepBase, StepEnv, StepResult, call_outcome
from workflows.values import json_safe

_NAME = re.compile(r"^(vars\.)?[A-Za-z_][A-Za-z0-9_]*$")


class RunActionStep(StepBase):
    OUTCOMES = ("success", "declined", "failure")

    type: Literal["run_action"] = "run_action"
    action: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    save_as: str | None = None

    @field_validator("save_as")
    @classmethod
    def _plain_name(cls, name: str | None) -> str | None:
        if name is not None and not _NAME.match(name):
            raise ValueError(f"{name!r} is not a variable name")
        return name.removeprefix("vars.") if name else name

    def summary(self) -> str:
        return f"action {self.action}"

    def enter(self, env: StepEnv) -> StepResult:
        inputs = json_safe(env.render_value(self.inputs))
        call = RunAction(
            action=self.action,
            inputs=inputs,
            idempotency_key=env.key("action"),
            step_id=env.step_id,
        )
        return StepResult(call=call, message=f"run {self.action}", data={"inputs": inputs})

    def resume(self, env: StepEnv, run_input: Any) -> StepResult:
        if isinstance(run_input, CallResult):
            if self.save_as:
                env.state.variables[self.save_as] = json_safe(run_input.data)
            return call_outcome(run_input, action=self.action)
        return super().resume(env, run_input)
