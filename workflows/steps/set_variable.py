"""set_variable: store a (templated) value in the run's variables."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import field_validator

from workflows.steps.base import StepBase, StepEnv, StepResult

_NAME = re.compile(r"^(vars\.)?[A-Za-z_][A-Za-z0-9_]*$")


class SetVariableStep(StepBase):
    type: Literal["set_variable"] = "set_variable"
    name: str
    value: Any = None

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a variable name (letters, digits, _; `vars.x`)")
        return name.removeprefix("vars.")

    def summary(self) -> str:
        return f"vars.{self.name} = {self.value!r}"

    def enter(self, env: StepEnv) -> StepResult:
        value = env.render_value(self.value)
        env.state.variables[self.name] = value
        return StepResult(message=f"set vars.{self.name}", data={"name": self.name, "value": value})
