"""trigger_workflow: start another workflow with variables (nesting depth at most 5)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from workflows.effects import TriggerWorkflow
from workflows.state import MAX_DEPTH
from workflows.steps.base import StepBase, StepEnv, StepResult
from workflows.values import json_safe


class TriggerWorkflowStep(StepBase):
    type: Literal["trigger_workflow"] = "trigger_workflow"
    workflow: str = Field(min_length=1)
    variables: dict[str, Any] = Field(default_factory=dict)

    def summary(self) -> str:
        return f"start workflow {self.workflow}"

    def enter(self, env: StepEnv) -> StepResult:
        depth = env.state.depth + 1
        if depth > MAX_DEPTH:
            return StepResult(
                fail=f"trigger_workflow {self.workflow!r}: nesting depth would be {depth}, "
                f"more than the limit of {MAX_DEPTH} (do these workflows start each other?)"
            )
        variables = json_safe(env.render_value(self.variables))
        call = TriggerWorkflow(workflow=self.workflow, variables=variables, depth=depth)
        return StepResult(
            call=call,
            message=f"start {self.workflow}",
            data={"variables": variables, "depth": depth},
        )
