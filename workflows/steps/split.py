"""split: an A/B test. Each conversation goes to one branch by weight, the same branch for
the same contact every time; an optional goal (an event, or a tag added, within a time
window) is what the branches are compared on (see ``bot/domain/split_results.py``)."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflows.durations import parse_duration
from workflows.event_names import TRIGGER_EVENTS
from workflows.steps.base import StepBase, StepEnv, StepResult


class SplitBranch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    weight: float = Field(default=1, gt=0, le=1000)
    goto: str = Field(min_length=1)


class SplitGoal(BaseModel):
    """What counts as success: ``event`` on the conversation (``tag.added`` with ``tag``
    for a given tag) within ``within`` of the split."""

    model_config = ConfigDict(extra="forbid")

    event: str
    tag: str | None = None
    within: str = "7d"

    @field_validator("event")
    @classmethod
    def _known_event(cls, event: str) -> str:
        if event not in TRIGGER_EVENTS:
            raise ValueError(
                f"unknown event {event!r}; one of: {', '.join(sorted(TRIGGER_EVENTS))}"
            )
        return event

    @field_validator("within")
    @classmethod
    def _duration(cls, within: str) -> str:
        parse_duration(within)
        return within

    @model_validator(mode="after")
    def _tag_needs_tag_event(self) -> SplitGoal:
        if self.tag is not None and self.event not in ("tag.added", "tag.removed"):
            raise ValueError("tag is only for the tag.added and tag.removed events")
        return self


class SplitStep(StepBase):
    type: Literal["split"] = "split"
    branches: list[SplitBranch] = Field(min_length=2, max_length=10)
    goal: SplitGoal | None = None

    @field_validator("branches")
    @classmethod
    def _unique_names(cls, branches: list[SplitBranch]) -> list[SplitBranch]:
        names = [b.name for b in branches]
        if len(set(names)) != len(names):
            raise ValueError("branch names must differ")
        return branches

    def targets(self) -> list[tuple[str, str]]:
        found = [(f"branches[{i}].goto", b.goto) for i, b in enumerate(self.branches)]
        return [*found, *super().targets()]

    def summary(self) -> str:
        return "split " + " / ".join(f"{b.name} {b.weight:g}" for b in self.branches)

    def enter(self, env: StepEnv) -> StepResult:
        who, key = _sticky_key(env.ctx)
        point = _unit_interval(f"{env.state.workflow}:{env.step_id}:{key}")
        branch = pick(self.branches, point)
        data: dict[str, Any] = {"branch": branch.name, "by": who}
        if self.goal is not None:
            data["goal"] = self.goal.model_dump(exclude_none=True)
        return StepResult(
            exit=branch.name, goto=branch.goto, message=f"branch {branch.name}", data=data
        )


def pick(branches: list[SplitBranch], point: float) -> SplitBranch:
    """The branch ``point`` (in [0, 1)) falls in, the branches laid end to end by weight."""
    total = sum(b.weight for b in branches)
    reached = 0.0
    for branch in branches:
        reached += branch.weight / total
        if point < reached:
            return branch
    return branches[-1]


def _sticky_key(ctx: dict[str, Any]) -> tuple[str, str]:
    """Whom the choice sticks to: the contact, else the conversation, else the lead."""
    for root in ("contact", "conversation", "lead"):
        value = ctx.get(root)
        if isinstance(value, dict) and value.get("id") is not None:
            return root, str(value["id"])
    return "nobody", ""


def _unit_interval(text: str) -> float:
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
