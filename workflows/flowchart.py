"""A workflow as a flowchart: nodes and labelled edges, and its Mermaid text.

Edges follow what the engine does: an exit goes where it is mapped, a branch case to its
`goto` (labelled with its condition), a jump to its target, and every other step on to
its `next` step or the one after it (drawn dashed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from workflows.rules import Group, Rule
from workflows.schema import Workflow
from workflows.steps.base import END
from workflows.steps.branch import BranchStep
from workflows.steps.jump_to import JumpToStep
from workflows.steps.split import SplitStep

Shape = Literal["terminal", "step", "decision"]
TRIGGER = "trigger"
DONE = "done"
DECISIONS = ("branch", "date_time", "split")


@dataclass(frozen=True)
class Node:
    """A box: the trigger, a step or the end."""

    key: str
    label: str
    shape: Shape


@dataclass(frozen=True)
class Edge:
    """A way from one node to another; ``dashed`` for the default flow."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Chart:
    """Nodes in step order (trigger first, end last) and the edges between them."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def chart(workflow: Workflow) -> Chart:
    """The flowchart of ``workflow``."""
    keys = {step.id: f"s{index}" for index, step in enumerate(workflow.steps)}
    result = Chart([Node(TRIGGER, workflow.trigger.event, "terminal")])
    if workflow.steps:
        result.edges.append(Edge(TRIGGER, keys[workflow.steps[0].id]))
    for index, step in enumerate(workflow.steps):
        me = keys[step.id]
        shape: Shape = "decision" if step.type in DECISIONS else "step"
        result.nodes.append(Node(me, f"{step.id}: {step.summary()}", shape))

        def to(target: str) -> str:
            return DONE if target == END else keys.get(target, DONE)

        if isinstance(step, BranchStep):
            for case in step.cases:
                result.edges.append(Edge(me, to(case.goto), condition_text(case.when)))
            if step.else_ is not None:
                result.edges.append(Edge(me, to(step.else_), "else"))
        if isinstance(step, JumpToStep):
            result.edges.append(Edge(me, to(step.target), f"jump (max {step.max_jumps})"))
        if isinstance(step, SplitStep):
            for branch in step.branches:
                result.edges.append(Edge(me, to(branch.goto), f"{branch.name} ({branch.weight:g})"))
            continue
        for outcome, target in step.exits.items():
            result.edges.append(Edge(me, to(target), outcome))
        if isinstance(step, JumpToStep) or (
            isinstance(step, BranchStep) and step.else_ is not None
        ):
            continue
        following = workflow.steps[index + 1].step_id if index + 1 < len(workflow.steps) else END
        label = "no case" if isinstance(step, BranchStep) else ""
        result.edges.append(Edge(me, to(step.next or following), label, dashed=True))
    result.nodes.append(Node(DONE, "end", "terminal"))
    return result


def condition_text(condition: Group | Rule) -> str:
    """A condition as a person reads it: `vars.topic eq 'order' and ...`."""
    if isinstance(condition, Rule):
        if condition.op == "exists":
            return f"{condition.field} {'is missing' if condition.value is False else 'exists'}"
        return f"{condition.field} {condition.op} {_value(condition.value)}"
    joiner = " and " if condition.mode == "all" else " or "
    parts = [
        f"({condition_text(member)})"
        if isinstance(member, Group) and len(member.members) > 1
        else condition_text(member)
        for member in condition.members
    ]
    return joiner.join(parts)


def _value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def mermaid(workflow: Workflow) -> str:
    """A Mermaid flowchart of the workflow."""
    drawn = chart(workflow)
    lines = ["flowchart TD"]
    for node in drawn.nodes:
        left, right = {"terminal": ('(["', '"])'), "step": ('["', '"]'), "decision": ('{"', '"}')}[
            node.shape
        ]
        lines.append(f"    {node.key}{left}{_label(node.label)}{right}")
    for edge in drawn.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f"|{_label(edge.label)}|" if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


def _label(text: str) -> str:
    return text.replace('"', "'").replace("|", "/").replace("\n", " ")
