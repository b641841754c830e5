"""Hypothesis-made workflow files: the loader raises only its own error, and every problem says where.

Documents come from three sources: the example workflows with fields replaced, removed or
added; steps built from the JSON Schema (each step type with a random choice of its
fields and random values); and text-level damage (cut short, characters inserted). Each
is written as YAML or JSON text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.loader import json_schema, load_text
from workflows.problems import Problem, WorkflowLoadError
from workflows.schema import Workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
DOCUMENTS = [yaml.safe_load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))]
SCHEMA = json_schema()
STEP_DEFS = {
    definition["properties"]["type"]["const"]: sorted(definition["properties"])
    for definition in SCHEMA["$defs"].values()
    if "type" in definition.get("properties", {}) and "const" in definition["properties"]["type"]
}
FIELD_NAMES = {name for names in STEP_DEFS.values() for name in names}
SOURCE = "flows/fuzzed.yaml"

FUZZ = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["30m", "P1D", "{{ vars.x }}", "", "end", "greet"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def mutate(value: Any, data: st.DataObject, depth: int = 0) -> Any:
    """Replace, remove or add something somewhere inside ``value``."""
    if isinstance(value, dict) and value and depth < 4:
        key = data.draw(st.sampled_from(sorted(value, key=str)))
        action = data.draw(st.sampled_from(["descend", "descend", "replace", "remove", "add"]))
        copy = dict(value)
        if action == "descend":
            copy[key] = mutate(value[key], data, depth + 1)
        elif action == "replace":
            copy[key] = data.draw(values)
        elif action == "remove":
            copy.pop(key)
        else:
            copy[data.draw(st.text(min_size=1, max_size=10))] = data.draw(values)
        return copy
    if isinstance(value, list) and value and depth < 4:
        index = data.draw(st.integers(0, len(value) - 1))
        action = data.draw(st.sampled_from(["descend", "descend", "remove", "duplicate"]))
        copy = list(value)
        if action == "descend":
            copy[index] = mutate(value[index], data, depth + 1)
        elif action == "remove":
            copy.pop(index)
        else:
            copy.insert(index, value[index])
        return copy
    return data.draw(values)


@st.composite
def schema_steps(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(STEP_DEFS)))
    fields = draw(st.lists(st.sampled_from(STEP_DEFS[kind]), max_size=4, unique=True))
    step: dict[str, Any] = {"type": kind}
    for name in fields:
        if name != "type":
            step[name] = draw(values)
    if draw(st.booleans()):
        step["id"] = draw(st.sampled_from(["greet", "ask", "end", "x"]) | st.text(max_size=6))
    return step


@st.composite
def documents(draw: st.DrawFn) -> Any:
    source = draw(st.sampled_from(["example", "schema", "example"]))
    if source == "example":
        document = draw(st.sampled_from(DOCUMENTS))
        for _ in range(draw(st.integers(1, 3))):
            document = mutate(document, draw(st.data()))
        return document
    return {
        "name": draw(st.sampled_from(["fuzzed", ""]) | st.text(max_size=10)),
        "trigger": draw(
            st.sampled_from(
                [
                    {"event": "conversation.created"},
                    {"event": "message.received", "text_matches": "("},
                ]
            )
            | values
        ),
        "steps": draw(st.lists(schema_steps(), max_size=4)),
    }


@st.composite
def texts(draw: st.DrawFn) -> str:
    document = draw(documents())
    as_json = draw(st.booleans())
    try:
        text = json.dumps(document) if as_json else yaml.safe_dump(document, allow_unicode=True)
    except (TypeError, ValueError, yaml.YAMLError):
        text = str(document)
    if draw(st.integers(0, 4)) == 0:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=5)) + text[cut + draw(st.integers(0, 3)) :]
    return text


@FUZZ
@given(text=texts())
def test_loader_raises_only_its_error_and_says_where(text: str) -> None:
    problems: list[Problem] = []
    try:
        workflow = load_text(text, source=SOURCE)
    except WorkflowLoadError as exc:
        problems, message = exc.problems, str(exc)
    else:
        assert isinstance(workflow, Workflow)
        return
    assert problems and SOURCE in message
    for problem in problems:
        assert problem.file == SOURCE
        assert problem.where and problem.reason.strip()
        if problem.where != "file":
            assert (
                problem.field
                or problem.where.startswith("step ")
                or problem.where in ("workflow", "trigger", "conditions")
            ), problem


@FUZZ
@given(document=documents())
def test_step_problems_name_the_step_and_field(document: Any) -> None:
    try:
        load_text(json.dumps(document, default=str), source=SOURCE)
    except WorkflowLoadError as exc:
        for problem in exc.problems:
            if problem.where.startswith("step "):
                assert problem.where != "step ", problem
                # the field, or a reason naming the fields (or the step as a whole is wrong)
                named = any(f"{name} " in problem.reason for name in FIELD_NAMES)
                assert problem.field or named or problem.reason.startswith("must be a mapping"), (
                    problem
                )


def test_a_step_that_is_not_a_mapping_says_so() -> None:
    text = "name: x\ntrigger: {event: conversation.created}\nsteps:\n  - 5\n  - [a]\n"
    with pytest.raises(WorkflowLoadError) as raised:
        load_text(text, source=SOURCE)
    assert [str(p) for p in raised.value.problems] == [
        f"{SOURCE}: step step-1: must be a mapping of fields, not a number",
        f"{SOURCE}: step step-2: must be a mapping of fields, not a list",
    ]
