"""New workflows' YAML: from a trigger (valid, with its comments) and from each example
file (its text unchanged but for the name, comments and quotes kept); names and triggers
that cannot be used are refused naming the field."""

from __future__ import annotations

import pytest

from bot.core.errors import ValidationFailed
from bot.domain.workflow_drafts import EXAMPLES, check, example_names, from_example, from_trigger
from workflows.event_names import TRIGGER_EVENTS


@pytest.mark.parametrize("event", sorted(TRIGGER_EVENTS))
def test_a_workflow_from_each_trigger_is_valid(event: str) -> None:
    text = from_trigger("fresh", event)
    workflow, problems = check(text, "fresh")
    assert problems == [] and workflow is not None
    assert workflow.trigger.event == event
    assert text.startswith(f"# A new workflow started by {event}")


@pytest.mark.parametrize("example", example_names())
def test_an_example_is_copied_as_written_under_its_new_name(example: str) -> None:
    original = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    text = from_example("copy.of-it", example)
    assert check(text, "copy.of-it")[1] == []
    changed = [
        (old, new)
        for old, new in zip(original.splitlines(), text.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [(f"name: {example}", "name: copy.of-it")]


@pytest.mark.parametrize(
    ("name", "event", "field"),
    [("no spaces", "conversation.created", "name"), ("ok", "lunch.started", "trigger")],
)
def test_bad_names_and_triggers_are_refused(name: str, event: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        from_trigger(name, event)
    assert caught.value.field == field
    with pytest.raises(ValidationFailed) as caught:
        from_example("ok", "../secrets")
    assert caught.value.field == "example"


def test_a_draft_named_otherwise_is_a_problem() -> None:
    text = from_trigger("one", "conversation.created")
    (problem,) = check(text, "two")[1]
    assert (problem.file, problem.where, problem.field) == ("two.yaml", "file", "name")
