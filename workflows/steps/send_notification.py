"""send_notification: tell an agent, a team, an address or a role (Slack and/or e-mail)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.effects import Notify
from workflows.steps.base import StepBase, StepEnv, StepResult, template_fields


class Recipient(BaseModel):
    """Exactly one of agent, team, email or role."""

    model_config = ConfigDict(extra="forbid")

    agent: str | None = None
    team: str | None = None
    email: str | None = None
    role: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Recipient:
        if len(self.model_dump(exclude_none=True)) != 1:
            raise ValueError("name exactly one of agent, team, email or role")
        return self


Via = Literal["slack", "email"]


def _slack_only() -> list[Via]:
    return ["slack"]


class SendNotificationStep(StepBase):
    type: Literal["send_notification"] = "send_notification"
    to: Recipient
    via: list[Via] = Field(default_factory=_slack_only, min_length=1)
    text: str = Field(min_length=1)

    def summary(self) -> str:
        who = ", ".join(f"{k} {v}" for k, v in self.to.model_dump(exclude_none=True).items())
        return f"notify {who} via {'+'.join(self.via)}"

    def static_problems(self) -> list[tuple[str, str]]:
        return template_fields(self, ("text",))

    def enter(self, env: StepEnv) -> StepResult:
        to = {k: env.render(v) for k, v in self.to.model_dump(exclude_none=True).items()}
        text = env.render(self.text)
        env.effects.append(Notify(to=to, via=list(self.via), text=text, step_id=env.step_id))
        return StepResult(message="notification queued", data={"to": to, "via": self.via})
