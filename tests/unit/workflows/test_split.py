"""split: branches by weight, sticky per contact, checked when loaded, drawn with a labelled
edge per branch."""

from __future__ import annotations

import textwrap
from collections import Counter

import pytest

from workflows.flowchart import chart
from workflows.loader import parse_text

from .helpers import begin, context, workflow

AB = """
- id: test
  type: split
  branches:
    - {name: short, weight: 1, goto: short}
    - {name: long, weight: 1, goto: long}
  goal: {event: tag.added, tag: bought, within: 7d}
- {id: short, type: send_message, text: Hi, next: end}
- {id: long, type: send_message, text: "Hello there, how can we help today?"}
"""


def _branch(contact_id: int, body: str = AB) -> str:
    t = begin(workflow(body), context(contact={"id": contact_id, "name": "Ada"}))
    [step] = [e for e in t.log if e.kind == "step" and e.step_id == "test"]
    return str(step.data["branch"])


def test_even_weights_split_200_contacts_about_evenly_and_each_sticks() -> None:
    branches = [_branch(contact) for contact in range(1, 201)]
    counts = Counter(branches)
    assert set(counts) == {"short", "long"}
    assert all(70 <= n <= 130 for n in counts.values()), counts
    assert [_branch(contact) for contact in range(1, 201)] == branches


def test_the_branch_decides_the_next_step_and_is_the_exit() -> None:
    t = begin(workflow(AB), context(contact={"id": 5, "name": "Ada"}))
    split, sent = [e for e in t.log if e.kind == "step"]
    assert split.data["exit"] == split.data["branch"]
    assert sent.step_id == split.data["branch"]
    assert split.data["goal"] == {"event": "tag.added", "tag": "bought", "within": "7d"}
    assert split.data["by"] == "contact"


def test_weights_are_honoured() -> None:
    body = AB.replace("{name: short, weight: 1", "{name: short, weight: 9")
    counts = Counter(_branch(contact, body) for contact in range(1, 1001))
    assert 850 <= counts["short"] <= 950, counts


def test_without_a_contact_the_conversation_decides() -> None:
    ctx = context(contact=None)
    t = begin(workflow(AB), ctx)
    [split] = [e for e in t.log if e.kind == "step" and e.step_id == "test"]
    assert split.data["by"] == "conversation"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ("    - {name: long, weight: 1, goto: long}\n", "branches", "at least 2"),
        ("goto: long}", "branches[1].goto", "nowhere"),
        ("{name: long,", "branches", "differ"),
        ("tag.added, tag", "goal", "only for the tag"),
        ("within: 7d", "goal.within", ""),
    ],
)
def test_a_bad_split_names_the_step_and_the_field(change: str, field: str, reason: str) -> None:
    replacements = {
        "    - {name: long, weight: 1, goto: long}\n": "",
        "goto: long}": "goto: nowhere}",
        "{name: long,": "{name: short,",
        "tag.added, tag": "conversation.closed, tag",
        "within: 7d": "within: soon",
    }
    body = AB.replace(change, replacements[change])
    text = "name: ab\ntrigger: {event: conversation.created}\nsteps:\n" + textwrap.indent(
        body.strip("\n"), "  "
    )
    found, problems = parse_text(text, source="ab.yaml")
    assert found is None
    [problem] = [p for p in problems if p.where == "step test"]
    assert problem.file == "ab.yaml"
    assert problem.field.startswith(field), problem
    assert reason in problem.reason, problem


def test_the_chart_has_one_labelled_edge_per_branch() -> None:
    drawn = chart(workflow(AB))
    labels = sorted(e.label for e in drawn.edges if e.source == "s0")
    assert labels == ["long (1)", "short (1)"]
    assert next(n for n in drawn.nodes if n.key == "s0").shape == "decision"
