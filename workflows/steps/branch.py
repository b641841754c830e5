"""branch: the first case whose conditions hold decides where to go; else `else`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.rules import Group
from workflows.steps.base import StepBase, StepEnv, StepResult


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: Group
    goto: str = Field(min_length=1)


class BranchStep(StepBase):
    model_config = ConfigDict(populate_by_name=True)

    type: Literal["branch"] = "branch"
    cases: list[Case] = Field(min_length=1)
    else_: str | None = Field(default=None, alias="else")

    def targets(self) -> list[tuple[str, str]]:
        found = [(f"cases[{i}].goto", case.goto) for i, case in enumerate(self.cases)]
        if self.else_ is not None:
            found.append(("else", self.else_))
        return [*found, *super().targets()]

    def summary(self) -> str:
        return "branch"

    def enter(self, env: StepEnv) -> StepResult:
        for index, case in enumerate(self.cases):
            if env.check(case.when, f"case {index + 1}"):
                return StepResult(
                    goto=case.goto, message=f"case {index + 1} matched", data={"case": index}
                )
        if self.else_ is not None:
            return StepResult(goto=self.else_, message="no case matched: else")
        return StepResult(message="no case matched: next step")
