"""send_webhook: a signed JSON POST through the outbox (delivery id stable across retries)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from workflows.effects import Webhook
from workflows.steps.base import StepBase, StepEnv, StepResult, template_fields
from workflows.values import json_safe


class SendWebhookStep(StepBase):
    type: Literal["send_webhook"] = "send_webhook"
    url: str = Field(min_length=1)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    secret: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://", "{{")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url

    def summary(self) -> str:
        return f"webhook {self.url}"

    def static_problems(self) -> list[tuple[str, str]]:
        return template_fields(self, ("url",))

    def enter(self, env: StepEnv) -> StepResult:
        url = env.render(self.url)
        body = json_safe(
            env.render_value(self.body if self.body is not None else _default_body(env))
        )
        headers = {k: env.render(v) for k, v in self.headers.items()}
        delivery_id = env.key("webhook")
        env.effects.append(
            Webhook(
                url=url,
                body=body,
                headers=headers,
                secret=self.secret,
                delivery_id=delivery_id,
                step_id=env.step_id,
            )
        )
        return StepResult(
            message="webhook queued", data={"url": url, "delivery_id": delivery_id, "body": body}
        )


def _default_body(env: StepEnv) -> dict[str, Any]:
    """Without a body: the event, conversation, contact, lead and the run's variables."""
    ctx = env.ctx
    return {key: ctx.get(key) for key in ("event", "conversation", "contact", "lead", "vars")}
