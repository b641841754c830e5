from __future__ import annotations

from typing import Any, Literal

import pytest

from workflows import registry as registry_module
from workflows.errors import DuplicateStepTypeError, WorkflowError
from workflows.registry import BUILTIN_STEPS, STEPS, StepRegistry, load_entry_points
from workflows.steps.base import StepBase, StepEnv, StepResult

from .helpers import begin, steps_logged, workflow


class PingStep(StepBase):
    type: Literal["ping"] = "ping"

    def enter(self, env: StepEnv) -> StepResult:
        return StepResult(message="pong")


class FakeEntryPoint:
    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self._value = value

    def load(self) -> Any:
        return self._value


def test_builtin_registry_has_every_step_type_once() -> None:
    assert len(STEPS.names()) == len(BUILTIN_STEPS) == 17
    assert {"ask_question", "split"} <= set(STEPS.names())


def test_registry_refuses_duplicate_type_names() -> None:
    reg = StepRegistry(BUILTIN_STEPS)
    with pytest.raises(DuplicateStepTypeError, match="'send_message'"):
        reg.register(BUILTIN_STEPS[0])


def test_entry_points_add_step_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        registry_module, "entry_points", lambda group: [FakeEntryPoint("ping", PingStep)]
    )
    reg = StepRegistry(BUILTIN_STEPS)
    load_entry_points(reg)
    assert reg.get("ping") is PingStep


def test_entry_points_must_be_step_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [FakeEntryPoint("x", 42)])
    with pytest.raises(WorkflowError, match="not a StepBase subclass"):
        load_entry_points(StepRegistry())


def test_next_overrides_the_following_step_and_end_stops() -> None:
    wf = workflow(
        """
        - {id: a, type: set_variable, name: x, value: 1, next: c}
        - {id: b, type: set_variable, name: y, value: 2}
        - {id: c, type: set_variable, name: z, value: 3, next: end}
        - {id: d, type: set_variable, name: w, value: 4}
        """
    )
    t = begin(wf)
    assert steps_logged(t) == ["a", "c"]
    assert t.state.status == "completed"


def test_end_is_a_reserved_id() -> None:
    from workflows.loader import load_text
    from workflows.problems import WorkflowLoadError

    with pytest.raises(WorkflowLoadError, match="'end' is reserved"):
        load_text(
            "name: x\ntrigger: {event: tag.added}\nsteps: [{id: end, type: close_conversation}]"
        )
