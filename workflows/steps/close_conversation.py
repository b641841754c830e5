"""close_conversation: end the conversation and mark it resolved."""

from __future__ import annotations

from typing import Literal

from workflows.effects import CloseConversation
from workflows.steps.base import StepBase, StepEnv, StepResult


class CloseConversationStep(StepBase):
    type: Literal["close_conversation"] = "close_conversation"

    def summary(self) -> str:
        return "close conversation"

    def enter(self, env: StepEnv) -> StepResult:
        return StepResult(call=CloseConversation(), message="close the conversation")
