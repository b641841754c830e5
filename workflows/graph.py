"""Whole-graph checks of one workflow and of a set of workflows."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from workflows.problems import Problem
from workflows.registry import STEPS
from workflows.schema import Workflow, default_step_id
from workflows.steps.base import END, StepBase
from workflows.steps.trigger_workflow import TriggerWorkflowStep


def raw_step_ids(raw_steps: Sequence[Any]) -> list[str]:
    """The id every raw step will have (its own, or the generated `step-N`)."""
    ids = []
    for number, raw in enumerate(raw_steps, start=1):
        given = raw.get("id") if isinstance(raw, dict) else None
        ids.append(given if isinstance(given, str) and given else default_step_id(number))
    return ids


def raw_exit_problems(file: str, step_id: str, raw: Any, ids: Sequence[str]) -> list[Problem]:
    """Exit problems of a step that failed validation (so its graph is still checked)."""
    exits = raw.get("exits") if isinstance(raw, dict) else None
    if not isinstance(exits, dict):
        return []
    step_class = STEPS.get(str(raw.get("type")))
    problems = []
    for outcome, target in exits.items():
        if step_class is not None and outcome not in step_class.OUTCOMES:
            allowed = ", ".join(step_class.OUTCOMES) or "none"
            reason = f"{raw.get('type')} has no outcome {outcome!r} (its outcomes: {allowed})"
            problems.append(Problem(file, f"step {step_id}", f"exits.{outcome}", reason))
        if isinstance(target, str) and target not in ids and target != END:
            reason = f"unknown step id {target!r}"
            problems.append(Problem(file, f"step {step_id}", f"exits.{outcome}", reason))
    return problems


def step_problems(file: str, ids: Sequence[str], steps: Sequence[StepBase]) -> list[Problem]:
    """Duplicate ids, jumps/exits/branches to unknown ids, exits the step type lacks."""
    problems = []
    seen: dict[str, int] = {}
    for number, step_id in enumerate(ids, start=1):
        if step_id == END:
            problems.append(
                Problem(file, f"step {step_id}", "id", f"{END!r} is reserved: it ends the run")
            )
        elif step_id in seen:
            problems.append(
                Problem(
                    file, f"step {step_id}", "id", f"duplicate id (step {seen[step_id]} has it)"
                )
            )
        seen.setdefault(step_id, number)
    known = {*ids, END}
    for step in steps:
        where = f"step {step.id}"
        for outcome in step.exits:
            if outcome not in step.OUTCOMES:
                allowed = ", ".join(step.OUTCOMES) or "none"
                problems.append(
                    Problem(
                        file,
                        where,
                        f"exits.{outcome}",
                        f"{step.type} has no outcome {outcome!r} (its outcomes: {allowed})",
                    )
                )
        for field, target in step.targets():
            if target not in known:
                problems.append(Problem(file, where, field, f"unknown step id {target!r}"))
        for field, reason in step.static_problems():
            problems.append(Problem(file, where, field, reason))
    return problems


def workflow_set_problems(
    workflows: Sequence[Workflow],
    sources: Mapping[str, str] | None = None,
    also_named: Collection[str] = (),
) -> list[Problem]:
    """Duplicate names, trigger_workflow steps naming unknown workflows, and cycles.
    ``also_named``: workflows of the set that did not load (their own problems are reported)."""
    sources = sources or {}
    problems = []
    names: dict[str, Workflow] = {}
    for workflow in workflows:
        if workflow.name in names:
            problems.append(
                Problem(
                    sources.get(workflow.name, workflow.name),
                    "workflow",
                    "name",
                    f"duplicate workflow name {workflow.name!r}",
                )
            )
        names.setdefault(workflow.name, workflow)
    edges: dict[str, list[tuple[str, str]]] = {}
    for workflow in names.values():
        file = sources.get(workflow.name, workflow.name)
        for step in workflow.steps:
            if not isinstance(step, TriggerWorkflowStep) or "{{" in step.workflow:
                continue
            if step.workflow in also_named:
                continue
            if step.workflow not in names:
                problems.append(
                    Problem(
                        file, f"step {step.id}", "workflow", f"unknown workflow {step.workflow!r}"
                    )
                )
                continue
            edges.setdefault(workflow.name, []).append((step.workflow, step.id or ""))
    problems.extend(_cycles(edges, sources))
    return problems


def _cycles(edges: dict[str, list[tuple[str, str]]], sources: Mapping[str, str]) -> list[Problem]:
    problems = []
    reported: set[frozenset[str]] = set()
    for origin in sorted(edges):
        stack: list[tuple[str, list[str], str]] = [(origin, [origin], "")]
        while stack:
            node, path, first_step = stack.pop()
            for target, step_id in edges.get(node, []):
                via = first_step or step_id
                if target == origin:
                    loop = frozenset(path)
                    if loop not in reported:
                        reported.add(loop)
                        chain = " -> ".join([*path, origin])
                        problems.append(
                            Problem(
                                sources.get(origin, origin),
                                f"step {via}",
                                "workflow",
                                f"trigger_workflow cycle: {chain}",
                            )
                        )
                elif target not in path:
                    stack.append((target, [*path, target], via))
    return problems
