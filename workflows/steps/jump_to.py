"""jump_to: go back to a step, at most ``max_jumps`` times; then the `exhausted` exit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflows.steps.base import StepBase, StepEnv, StepResult


class JumpToStep(StepBase):
    OUTCOMES = ("exhausted",)

    type: Literal["jump_to"] = "jump_to"
    target: str = Field(min_length=1)
    max_jumps: int = Field(default=3, ge=1, le=100)

    def targets(self) -> list[tuple[str, str]]:
        return [("target", self.target), *super().targets()]

    def summary(self) -> str:
        return f"jump to {self.target} (max {self.max_jumps})"

    def enter(self, env: StepEnv) -> StepResult:
        done = env.state.jumps.get(env.step_id, 0)
        if done >= self.max_jumps:
            return StepResult(
                exit="exhausted", message=f"jumped {done} times already", data={"jumps": done}
            )
        env.state.jumps[env.step_id] = done + 1
        return StepResult(
            goto=self.target,
            message=f"jump {done + 1} of {self.max_jumps}",
            data={"jumps": done + 1},
        )
