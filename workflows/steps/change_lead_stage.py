"""change_lead_stage: move the conversation's lead to another pipeline stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflows.effects import ChangeLeadStage
from workflows.steps.base import StepBase, StepEnv, StepResult


class ChangeLeadStageStep(StepBase):
    type: Literal["change_lead_stage"] = "change_lead_stage"
    stage: str = Field(min_length=1)

    def summary(self) -> str:
        return f"lead stage -> {self.stage}"

    def enter(self, env: StepEnv) -> StepResult:
        if env.ctx.get("lead") is None:
            return StepResult(error="the conversation has no lead", message="no lead to move")
        return StepResult(
            call=ChangeLeadStage(stage=self.stage),
            message=f"change lead stage to {self.stage!r}",
            data={"stage": self.stage},
        )
