"""What a run asks the outside world to do.

Effects are fire-and-forget: the runner writes them to the outbox / timer table in the
same transaction as the new run state. Calls need a result: the runner performs the one
call of a transition and feeds a ``CallResult`` back into ``advance``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.message_parts import Choice, Template


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class AiRequest(_Model):
    """Ask the AI provider to write the reply; send ``fallback`` if it cannot."""

    instructions: str
    fallback: str | None = None


class SendMessage(_Model):
    kind: Literal["send_message"] = "send_message"
    text: str = ""
    choices: list[Choice] = Field(default_factory=list)
    media_url: str | None = None
    template: Template | None = None
    input_type: str | None = None
    ai: AiRequest | None = None
    step_id: str


class Notify(_Model):
    kind: Literal["notify"] = "notify"
    to: dict[str, str]
    via: list[str]
    text: str
    step_id: str


class Webhook(_Model):
    kind: Literal["webhook"] = "webhook"
    url: str
    body: Any
    headers: dict[str, str] = Field(default_factory=dict)
    secret: str | None = None
    delivery_id: str
    step_id: str


class ScheduleTimer(_Model):
    kind: Literal["schedule_timer"] = "schedule_timer"
    token: str
    due_at: datetime


class CancelTimer(_Model):
    kind: Literal["cancel_timer"] = "cancel_timer"
    token: str


Effect = Annotated[
    SendMessage | Notify | Webhook | ScheduleTimer | CancelTimer, Field(discriminator="kind")
]


class AddTag(_Model):
    kind: Literal["add_tag"] = "add_tag"
    tag: str


class RemoveTag(_Model):
    kind: Literal["remove_tag"] = "remove_tag"
    tag: str


class ChangeLeadStage(_Model):
    kind: Literal["change_lead_stage"] = "change_lead_stage"
    stage: str


class SetContactField(_Model):
    kind: Literal["set_contact_field"] = "set_contact_field"
    field: str
    value: Any


class Assign(_Model):
    """Assign the conversation. With ``offer_timeout_seconds`` the runner may only offer it
    and answer ``CallResult(success, data={"offered": True})``; the run then waits for
    ``Assigned`` or its timer."""

    kind: Literal["assign"] = "assign"
    agent: str | None = None
    team: str | None = None
    strategy: Literal["round_robin", "least_busy"] | None = None
    ai_agent: str | None = None
    offer_timeout_seconds: float | None = None


class CloseConversation(_Model):
    kind: Literal["close_conversation"] = "close_conversation"


class RunAction(_Model):
    kind: Literal["run_action"] = "run_action"
    action: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str
    step_id: str


class TriggerWorkflow(_Model):
    kind: Literal["trigger_workflow"] = "trigger_workflow"
    workflow: str
    variables: dict[str, Any] = Field(default_factory=dict)
    depth: int


Call = Annotated[
    AddTag
    | RemoveTag
    | ChangeLeadStage
    | SetContactField
    | Assign
    | CloseConversation
    | RunAction
    | TriggerWorkflow,
    Field(discriminator="kind"),
]
