"""Promoting a split's winner rewrites the definition so that runs go where the winning
branch went, wherever the split stood and whatever pointed at it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from workflows.loader import parse_data
from workflows.split_promotion import PromotionError, without_split

from .helpers import begin, context


def _definition(steps: str) -> dict[str, Any]:
    data = yaml.safe_load(f"name: ab\ntrigger: {{event: conversation.created}}\nsteps:\n{steps}")
    assert isinstance(data, dict)
    return data


def _path(definition: dict[str, Any]) -> list[str]:
    workflow, problems = parse_data(definition, source="ab.yaml")
    assert workflow is not None, problems
    t = begin(workflow, context())
    assert t.state.status == "completed", t.log
    return [e.step_id or "" for e in t.log if e.kind == "step"]


MIDDLE = """
  - {id: hello, type: send_message, text: Hi}
  - id: test
    type: split
    branches:
      - {name: short, goto: short}
      - {name: long, goto: long}
  - {id: short, type: send_message, text: Short, next: end}
  - {id: long, type: send_message, text: Long}
  - {id: bye, type: send_message, text: Bye}
"""


def test_a_split_in_the_middle_gives_way_to_the_winner() -> None:
    promoted = without_split(_definition(MIDDLE), "test", "long")
    assert [s["id"] for s in promoted["steps"]] == ["hello", "short", "long", "bye"]
    assert _path(promoted) == ["hello", "long", "bye"]
    assert _path(without_split(_definition(MIDDLE), "test", "short")) == ["hello", "short"]


def test_a_split_first_makes_the_winner_first_and_keeps_where_each_step_goes() -> None:
    first = """
  - id: test
    type: split
    branches:
      - {name: a, goto: one}
      - {name: b, goto: three}
  - {id: one, type: send_message, text: One}
  - {id: two, type: send_message, text: Two, next: end}
  - {id: three, type: send_message, text: Three}
  - {type: send_message, text: Four}
"""
    promoted = without_split(_definition(first), "test", "b")
    assert promoted["steps"][0]["id"] == "three"
    assert _path(promoted) == ["three", "step-5"]
    assert _path(without_split(_definition(first), "test", "a")) == ["one", "two"]


def test_every_way_into_the_split_now_leads_to_the_winner() -> None:
    pointing = """
  - id: route
    type: branch
    cases:
      - when: {field: contact.name, op: eq, value: Ada}
        goto: test
    else: other
  - {id: other, type: send_message, text: Other, next: end}
  - id: test
    type: split
    branches:
      - {name: x, goto: other}
      - {name: y, goto: win}
  - {id: win, type: send_message, text: Win}
"""
    promoted = without_split(_definition(pointing), "test", "y")
    assert promoted["steps"][0]["cases"][0]["goto"] == "win"
    assert _path(promoted) == ["route", "win"]


@pytest.mark.parametrize(
    ("step", "branch", "reason"),
    [
        ("hello", "long", "not a split"),
        ("test", "medium", "no branch 'medium'"),
        ("x", "a", "no step"),
    ],
)
def test_a_wrong_step_or_branch_is_refused(step: str, branch: str, reason: str) -> None:
    with pytest.raises(PromotionError, match=reason):
        without_split(_definition(MIDDLE), step, branch)


def test_the_stored_definition_is_not_changed() -> None:
    definition = _definition(MIDDLE)
    before = yaml.safe_dump(definition)
    without_split(definition, "test", "long")
    assert yaml.safe_dump(definition) == before
