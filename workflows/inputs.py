"""What can wake a run up: the inputs of ``advance``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Answer(_Model):
    """The customer wrote (or pressed a button) while the run waits for an answer."""

    kind: Literal["answer"] = "answer"
    text: str | None = None
    payload: str | None = None
    message_id: str | None = None


class TimerFired(_Model):
    """A scheduled timer is due. A token that is not the run's current one is ignored."""

    kind: Literal["timer_fired"] = "timer_fired"
    token: str


class CallResult(_Model):
    """The result of the transition's call. ``outcome`` is success, declined or failure."""

    kind: Literal["call_result"] = "call_result"
    outcome: Literal["success", "declined", "failure"]
    data: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None


class DeliveryFailed(_Model):
    """The question the run waits on could not be delivered."""

    kind: Literal["delivery_failed"] = "delivery_failed"
    reason: str


class HumanTookOver(_Model):
    """An agent took the conversation; a waiting question stops."""

    kind: Literal["human_took_over"] = "human_took_over"
    reason: str


class Assigned(_Model):
    """An agent accepted the assignment the run offered."""

    kind: Literal["assigned"] = "assigned"
    agent: str


RunInput = Annotated[
    Answer | TimerFired | CallResult | DeliveryFailed | HumanTookOver | Assigned,
    Field(discriminator="kind"),
]
