"""assign_to: a named agent, a team, automatic distribution or an AI agent.

The runner performs the ``Assign`` call and answers:
``success`` (assigned; ``data.agent`` names who), ``success`` with ``data.offered = true``
(only offered: the run waits for ``Assigned`` or its ``timeout``), or ``declined`` /
``failure`` (nobody available).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from workflows.durations import parse_duration
from workflows.effects import Assign
from workflows.inputs import Assigned, CallResult, TimerFired
from workflows.steps.base import StepBase, StepEnv, StepResult


class AssignToStep(StepBase):
    OUTCOMES = ("assigned", "unavailable", "timeout")

    type: Literal["assign_to"] = "assign_to"
    agent: str | None = None
    team: str | None = None
    strategy: Literal["round_robin", "least_busy"] | None = None
    ai_agent: str | None = None
    timeout: str | None = None

    @field_validator("timeout")
    @classmethod
    def _duration(cls, timeout: str | None) -> str | None:
        if timeout is not None:
            parse_duration(timeout)
        return timeout

    @model_validator(mode="after")
    def _someone(self) -> AssignToStep:
        if self.agent and (self.strategy or self.team):
            raise ValueError("name an agent, or a team and/or strategy, not both")
        if not (self.agent or self.team or self.strategy or self.ai_agent):
            raise ValueError("assign_to needs agent, team, strategy or ai_agent")
        return self

    def summary(self) -> str:
        who = self.agent or self.ai_agent or " ".join(filter(None, [self.team, self.strategy]))
        return f"assign to {who}"

    def enter(self, env: StepEnv) -> StepResult:
        seconds = parse_duration(self.timeout).total_seconds() if self.timeout else None
        call = Assign(
            agent=env.render(self.agent) if self.agent else None,
            team=self.team,
            strategy=self.strategy,
            ai_agent=self.ai_agent,
            offer_timeout_seconds=seconds,
        )
        return StepResult(call=call, message="assign", data=call.model_dump(exclude_none=True))

    def resume(self, env: StepEnv, run_input: Any) -> StepResult:
        if isinstance(run_input, CallResult):
            return self._called(env, run_input)
        if isinstance(run_input, Assigned):
            env.cancel_timer()
            env.state.variables["assigned_agent"] = run_input.agent
            return StepResult(exit="assigned", message=f"accepted by {run_input.agent}")
        if isinstance(run_input, TimerFired):
            return StepResult(exit="timeout", message="nobody accepted in time")
        return super().resume(env, run_input)

    def _called(self, env: StepEnv, result: CallResult) -> StepResult:
        data = {"result": result.data, "reason": result.reason}
        if result.outcome != "success":
            return StepResult(
                exit="unavailable", message="nobody available", data=data, error=result.reason
            )
        if result.data.get("offered") and self.timeout:
            env.schedule_timer(env.now + parse_duration(self.timeout))
            return StepResult(wait="assignment", message="offered; waiting", data=data)
        agent = result.data.get("agent")
        if agent is not None:
            env.state.variables["assigned_agent"] = agent
        return StepResult(exit="assigned", message=f"assigned to {agent}", data=data)
