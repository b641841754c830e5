"""add_tag / remove_tag: tag the conversation (the runner performs the call)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflows.effects import AddTag, RemoveTag
from workflows.steps.base import StepBase, StepEnv, StepResult, template_fields


class AddTagStep(StepBase):
    type: Literal["add_tag"] = "add_tag"
    tag: str = Field(min_length=1)

    def summary(self) -> str:
        return f"add tag {self.tag}"

    def static_problems(self) -> list[tuple[str, str]]:
        return template_fields(self, ("tag",))

    def enter(self, env: StepEnv) -> StepResult:
        tag = env.render(self.tag)
        return StepResult(call=AddTag(tag=tag), message=f"add tag {tag!r}", data={"tag": tag})


class RemoveTagStep(StepBase):
    type: Literal["remove_tag"] = "remove_tag"
    tag: str = Field(min_length=1)

    def summary(self) -> str:
        return f"remove tag {self.tag}"

    def static_problems(self) -> list[tuple[str, str]]:
        return template_fields(self, ("tag",))

    def enter(self, env: StepEnv) -> StepResult:
        tag = env.render(self.tag)
        return StepResult(call=RemoveTag(tag=tag), message=f"remove tag {tag!r}", data={"tag": tag})
