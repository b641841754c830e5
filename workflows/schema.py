"""The workflow file format: trigger, conditions and steps (see DESIGN.md)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from workflows.event_names import TRIGGER_EVENTS
from workflows.registry import STEPS
from workflows.rules import Group
from workflows.steps.base import StepBase

if TYPE_CHECKING:
    Step = StepBase
else:
    Step = STEPS.union()

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_STAGE_EVENTS = frozenset({"lead.stage_changed", "lead.created"})
_TEXT_EVENTS = frozenset({"message.received", "message.unmatched", "conversation.created"})
MAX_PRIORITY = 1000
_TAG_EVENTS = frozenset({"tag.added"})


class Trigger(BaseModel):
    """The event that starts the workflow and its filters."""

    model_config = ConfigDict(extra="forbid")

    event: str
    channel: str | list[str] | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    tag: str | None = None
    text_contains: str | None = None
    text_matches: str | None = None

    @field_validator("event")
    @classmethod
    def _known_event(cls, event: str) -> str:
        if event not in TRIGGER_EVENTS:
            raise ValueError(
                f"unknown event {event!r}; one of: {', '.join(sorted(TRIGGER_EVENTS))}"
            )
        return event

    @field_validator("text_matches")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return pattern

    @model_validator(mode="after")
    def _filters_fit_event(self) -> Trigger:
        misplaced = [
            name
            for name, events in (
                ("from_stage", _STAGE_EVENTS),
                ("to_stage", _STAGE_EVENTS),
                ("tag", _TAG_EVENTS),
                ("text_contains", _TEXT_EVENTS),
                ("text_matches", _TEXT_EVENTS),
            )
            if getattr(self, name) is not None and self.event not in events
        ]
        if misplaced:
            raise ValueError(f"{', '.join(misplaced)} does not apply to {self.event} events")
        return self

    def channels(self) -> list[str]:
        if self.channel is None:
            return []
        return [self.channel] if isinstance(self.channel, str) else list(self.channel)


class Workflow(BaseModel):
    """One workflow file. Steps without an ``id`` get ``step-N`` (N counts from 1)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    enabled: bool = True
    priority: int = Field(0, ge=-MAX_PRIORITY, le=MAX_PRIORITY, strict=True)
    """Among the workflows one event starts, the higher goes first (see triggers.py)."""
    exclusive: bool = False
    """When it starts on an event, the workflows after it in priority order do not."""
    trigger: Trigger
    conditions: Group | None = None
    steps: list[Step] = Field(min_length=1)

    _index: dict[str, int] = PrivateAttr(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _slug(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"{name!r}: use letters, digits, '-', '_' and '.'")
        return name

    def model_post_init(self, context: Any) -> None:
        for number, step in enumerate(self.steps, start=1):
            if step.id is None:
                step.id = default_step_id(number)
            self._index.setdefault(step.id, number - 1)

    def _step_index(self) -> dict[str, int]:
        """``_index``, read from pydantic's private-value store directly: plain attribute
        access to a private attribute goes through ``__getattr__``, 40 times slower."""
        index: dict[str, int] = self.__pydantic_private__["_index"]  # type: ignore[index]
        return index

    def step(self, step_id: str) -> StepBase | None:
        index = self._step_index().get(step_id)
        return None if index is None else self.steps[index]

    def first_step_id(self) -> str | None:
        return self.steps[0].id if self.steps else None

    def next_step_id(self, step_id: str) -> str | None:
        index = self._step_index().get(step_id)
        if index is None or index + 1 >= len(self.steps):
            return None
        return self.steps[index + 1].id


def default_step_id(number: int) -> str:
    return f"step-{number}"
