"""Load workflow YAML (text, file, directory) and report every problem at once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from workflows.graph import (
    raw_exit_problems,
    raw_step_ids,
    step_problems,
    workflow_set_problems,
)
from workflows.known import Known, known_problems
from workflows.problems import Problem, WorkflowLoadError
from workflows.registry import STEPS
from workflows.schema import Workflow
from workflows.steps.base import StepBase


class _Yaml12Loader(yaml.SafeLoader):
    """Safe YAML where only true/false are booleans: `yes`, `no`, `on` stay strings (a step
    id `yes` or a choice `No` must not turn into a bool)."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_STEP_ADAPTER: TypeAdapter[StepBase] = TypeAdapter(STEPS.union())
_CONDITION_TAGS = {"rule", "group"}
_PREFIXES = ("Value error, ", "Assertion failed, ")
_NOT_A_MAPPING = {"model_attributes_type", "model_type", "dict_type"}


def load_text(text: str, *, source: str = "<text>") -> Workflow:
    workflow, problems = parse_text(text, source=source)
    if workflow is None or problems:
        raise WorkflowLoadError(problems)
    return workflow


def load_file(path: str | Path) -> Workflow:
    path = Path(path)
    return load_text(path.read_text(encoding="utf-8"), source=str(path))


def load_files(paths: Iterable[str | Path], known: Known | None = None) -> list[Workflow]:
    """Load several files and check them as a set (names, trigger_workflow targets, cycles)
    and against ``known`` stages and roles; one error lists every problem."""
    workflows: list[Workflow] = []
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    invalid: set[str] = set()
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        workflow, found = parse_text(text, source=str(path))
        problems.extend(found)
        if workflow is not None and not found:
            workflows.append(workflow)
            sources.setdefault(workflow.name, str(path))
        else:
            invalid.add(_raw_name(text))
    problems.extend(workflow_set_problems(workflows, sources, also_named=invalid))
    if known is not None:
        problems.extend(known_problems(workflows, known, sources))
    if problems:
        raise WorkflowLoadError(problems)
    return workflows


def _raw_name(text: str) -> str:
    """The name a file that failed to load gives itself (so others may still name it)."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return ""
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""


def load_dir(directory: str | Path) -> list[Workflow]:
    """Every `*.yaml` / `*.yml` file in ``directory`` (sorted), checked as a set."""
    root = Path(directory)
    return load_files(sorted([*root.glob("*.yaml"), *root.glob("*.yml")]))


def check_workflow_set(workflows: Sequence[Workflow]) -> None:
    """Raise WorkflowLoadError on unknown trigger_workflow targets and cycles."""
    problems = workflow_set_problems(workflows)
    if problems:
        raise WorkflowLoadError(problems)


def load_yaml(text: str) -> Any:
    """Parse YAML the way workflow files are read (only true/false are booleans)."""
    return yaml.load(text, Loader=_Yaml12Loader)


def parse_text(text: str, *, source: str = "<text>") -> tuple[Workflow | None, list[Problem]]:
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        return None, [Problem(source, "file", "", f"not valid YAML: {exc}")]
    return parse_data(data, source=source)


def parse_data(data: Any, *, source: str = "<data>") -> tuple[Workflow | None, list[Problem]]:
    """Validate a parsed document: the model, then the step graph. All problems at once."""
    if not isinstance(data, dict):
        return None, [
            Problem(source, "file", "", "a workflow file is a mapping (name, trigger, steps)")
        ]
    problems: list[Problem] = []
    workflow: Workflow | None = None
    try:
        workflow = Workflow.model_validate(data)
    except ValidationError as exc:
        problems.extend(_from_pydantic(source, data, exc))
    raw_steps: list[Any] = data["steps"] if isinstance(data.get("steps"), list) else []
    ids = raw_step_ids(raw_steps)
    if workflow is not None:
        steps = list(workflow.steps)
    else:
        steps = []
        for step_id, raw in zip(ids, raw_steps, strict=True):
            try:
                step = _STEP_ADAPTER.validate_python(raw)
            except ValidationError:
                problems.extend(raw_exit_problems(source, step_id, raw, ids))
                continue  # its own fields are reported above
            step.id = step_id
            steps.append(step)
    problems.extend(step_problems(source, ids, steps))
    return (workflow if not problems else None), problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow file (for editors and `relaybot workflows schema`)."""
    schema = Workflow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "relaybot workflow"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def _from_pydantic(source: str, data: dict[str, Any], error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        where, field = _locate(tuple(detail["loc"]), data)
        reason = detail["msg"]
        for prefix in _PREFIXES:
            reason = reason.removeprefix(prefix)
        if detail["type"] == "union_tag_invalid":
            tag = detail.get("ctx", {}).get("tag")
            field, reason = "type", f"unknown step type {tag!r}; one of: {', '.join(STEPS.names())}"
        elif detail["type"] == "union_tag_not_found":
            field, reason = "type", f"a step needs a type; one of: {', '.join(STEPS.names())}"
        elif detail["type"] in _NOT_A_MAPPING and not field:
            reason = f"must be a mapping of fields, not {_kind(detail.get('input'))}"
        problems.append(Problem(source, where, field, reason))
    return problems


def _kind(value: Any) -> str:
    """How a YAML reader would call ``value``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _locate(loc: tuple[Any, ...], data: dict[str, Any]) -> tuple[str, str]:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        raw_steps = data.get("steps") or []
        step_id = raw_step_ids(raw_steps)[loc[1]] if loc[1] < len(raw_steps) else str(loc[1])
        rest = list(loc[2:])
        raw = raw_steps[loc[1]] if loc[1] < len(raw_steps) else None
        if rest and isinstance(raw, dict) and rest[0] == raw.get("type"):
            rest = rest[1:]
        return f"step {step_id}", _dotted(rest)
    if loc and loc[0] in ("trigger", "conditions"):
        return str(loc[0]), _dotted(list(loc[1:]))
    return "workflow", _dotted(list(loc))


def _dotted(parts: list[Any]) -> str:
    text = ""
    previous: Any = None
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (isinstance(previous, int) and part in _CONDITION_TAGS):
            text += f".{part}" if text else str(part)
        previous = part
    return text
