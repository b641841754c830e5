"""send_message: a templated text (with choices, media or a WhatsApp template) or an AI reply."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.effects import AiRequest, SendMessage
from workflows.message_parts import Template
from workflows.steps.base import StepBase, StepEnv, StepResult, clipped, template_fields
from workflows.steps.choices import ChoiceDef


class AiReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instructions: str = Field(min_length=1)
    fallback: str | None = None


class TemplateDef(BaseModel):
    """A pre-approved WhatsApp template: its ContentSid and (templated) variables."""

    model_config = ConfigDict(extra="forbid")

    content_sid: str = Field(min_length=1)
    variables: dict[str, str] = Field(default_factory=dict)


class SendMessageStep(StepBase):
    type: Literal["send_message"] = "send_message"
    text: str | None = None
    choices: list[ChoiceDef] = Field(default_factory=list)
    media_url: str | None = None
    template: TemplateDef | None = None
    ai: AiReply | None = None

    @model_validator(mode="after")
    def _has_content(self) -> SendMessageStep:
        if not (self.text or self.media_url or self.template or self.ai):
            raise ValueError("send_message needs text, media_url, template or ai")
        return self

    def summary(self) -> str:
        if self.ai:
            return "AI reply"
        return f"send: {clipped(self.text or self.media_url or 'template')}"

    def static_problems(self) -> list[tuple[str, str]]:
        return template_fields(self, ("text", "media_url"))

    def enter(self, env: StepEnv) -> StepResult:
        text = env.render(self.text or "")
        template = None
        if self.template is not None:
            variables = {k: env.render(v) for k, v in self.template.variables.items()}
            template = Template(content_sid=self.template.content_sid, variables=variables)
        ai = None
        if self.ai is not None:
            fallback = env.render(self.ai.fallback) if self.ai.fallback else None
            ai = AiRequest(instructions=env.render(self.ai.instructions), fallback=fallback)
        env.effects.append(
            SendMessage(
                text=text,
                choices=[c.to_choice() for c in self.choices],
                media_url=env.render(self.media_url) if self.media_url else None,
                template=template,
                ai=ai,
                step_id=env.step_id,
            )
        )
        return StepResult(message="message queued", data={"text": text, "ai": ai is not None})
