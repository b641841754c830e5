"""The step registry: type name -> step model. Refuses duplicate names.

Built-in steps are listed explicitly; installed packages can add step types through the
``relaybot.steps`` entry point group (an entry point names a StepBase subclass).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Annotated, Any, Union

from pydantic import Field

from workflows.errors import DuplicateStepTypeError, WorkflowError
from workflows.steps.ask_question import AskQuestionStep
from workflows.steps.assign_to import AssignToStep
from workflows.steps.base import StepBase
from workflows.steps.branch import BranchStep
from workflows.steps.change_lead_stage import ChangeLeadStageStep
from workflows.steps.close_conversation import CloseConversationStep
from workflows.steps.date_time import DateTimeStep
from workflows.steps.jump_to import JumpToStep
from workflows.steps.run_action import RunActionStep
from workflows.steps.send_message import SendMessageStep
from workflows.steps.send_notification import SendNotificationStep
from workflows.steps.send_webhook import SendWebhookStep
from workflows.steps.set_variable import SetVariableStep
from workflows.steps.split import SplitStep
from workflows.steps.tags import AddTagStep, RemoveTagStep
from workflows.steps.trigger_workflow import TriggerWorkflowStep
from workflows.steps.wait import WaitStep

ENTRY_POINT_GROUP = "relaybot.steps"

BUILTIN_STEPS: tuple[type[StepBase], ...] = (
    SendMessageStep,
    AskQuestionStep,
    BranchStep,
    SplitStep,
    RunActionStep,
    AssignToStep,
    CloseConversationStep,
    WaitStep,
    DateTimeStep,
    JumpToStep,
    TriggerWorkflowStep,
    AddTagStep,
    RemoveTagStep,
    ChangeLeadStageStep,
    SetVariableStep,
    SendNotificationStep,
    SendWebhookStep,
)


def type_name(step_class: type[StepBase]) -> str:
    default = step_class.model_fields["type"].default
    if not isinstance(default, str) or not default:
        raise WorkflowError(f"{step_class.__name__} needs `type: Literal[name] = name`")
    return default


class StepRegistry:
    """Step type name -> model class."""

    def __init__(self, steps: tuple[type[StepBase], ...] = ()) -> None:
        self._steps: dict[str, type[StepBase]] = {}
        for step in steps:
            self.register(step)

    def register(self, step_class: type[StepBase]) -> type[StepBase]:
        name = type_name(step_class)
        if name in self._steps:
            raise DuplicateStepTypeError(f"step type {name!r} is already registered")
        self._steps[name] = step_class
        return step_class

    def get(self, name: str) -> type[StepBase] | None:
        return self._steps.get(name)

    def names(self) -> list[str]:
        return list(self._steps)

    def union(self) -> Any:
        """The discriminated union of every registered step model (for pydantic)."""
        classes = tuple(self._steps.values())
        return Annotated[Union[classes], Field(discriminator="type")]  # noqa: UP007


def load_entry_points(registry: StepRegistry) -> None:
    """Register the step types other installed packages publish."""
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as exc:
            raise WorkflowError(f"step entry point {entry.name!r} failed to load") from exc
        if not (isinstance(loaded, type) and issubclass(loaded, StepBase)):
            raise WorkflowError(f"step entry point {entry.name!r} is not a StepBase subclass")
        registry.register(loaded)


def build_default_registry() -> StepRegistry:
    registry = StepRegistry(BUILTIN_STEPS)
    load_entry_points(registry)
    return registry


STEPS = build_default_registry()
"""The registry workflow files are validated against."""
