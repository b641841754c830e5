"""Edits made on the graph change the YAML text as stated, keep its comments and key order,
and (for moves) keep where every run goes."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.draft_edits import EditError, add_step, connect, move_step, remove_step, set_step
from workflows.loader import load_yaml, parse_text

from .helpers import begin, context

TEXT = """\
# Greets and asks; a comment the edits keep.
name: greet
trigger: {event: conversation.created}
steps:
  - id: hello
    type: send_message
    text: Hi  # said first
  - id: topic
    type: ask_question
    question: What about?
    save_to: vars.topic
    exits:
      timeout: late
  - id: thanks
    type: send_message
    text: Thanks
    next: end
  - id: late
    type: send_message
    text: Too late
"""


def _steps(text: str) -> list[dict[str, Any]]:
    data = load_yaml(text)
    assert isinstance(data, dict)
    steps = data["steps"]
    assert isinstance(steps, list)
    return steps


def _ids(text: str) -> list[str]:
    return [str(step["id"]) for step in _steps(text)]


def _step(text: str, step_id: str) -> dict[str, Any]:
    return next(step for step in _steps(text) if step["id"] == step_id)


def _path(text: str) -> list[str]:
    workflow, problems = parse_text(text)
    assert workflow is not None, problems
    t = begin(workflow, context())
    return [e.step_id or "" for e in t.log if e.kind == "step"]


def _keeps_comments(text: str) -> None:
    assert "# Greets and asks; a comment the edits keep." in text
    assert text.index("name:") < text.index("trigger:") < text.index("steps:")


def test_adding_after_a_step_takes_its_place_in_the_flow() -> None:
    text = add_step(TEXT, {"type": "send_message", "text": "Welcome"}, after="hello")
    assert _ids(text) == ["hello", "send_message", "topic", "thanks", "late"]
    assert _step(text, "send_message") == {
        "id": "send_message",
        "type": "send_message",
        "text": "Welcome",
    }
    assert "text: Hi  # said first" in text
    _keeps_comments(text)
    again = add_step(text, {"type": "send_message", "text": "Bye"}, after="thanks")
    assert _step(again, "send_message-2")["next"] == "end"
    assert "next" not in _step(again, "thanks")


def test_adding_on_an_exit_puts_the_step_between_the_exit_and_where_it_went() -> None:
    text = add_step(TEXT, {"type": "assign_to", "id": "human", "team": "sales"}, "topic", "timeout")
    assert _step(text, "topic")["exits"] == {"timeout": "human"}
    assert _ids(text)[-1] == "human"
    assert _step(text, "human")["next"] == "late"
    assert _step(text, "late")["next"] == "end"  # it was last: it still ends the run
    assert _path(text) == _path(TEXT)
    _keeps_comments(text)
    unmapped = add_step(TEXT, {"type": "send_message", "text": "?"}, "topic", "invalid")
    assert _step(unmapped, "send_message")["next"] == "thanks"


def test_adding_first_and_on_an_unknown_exit_or_step() -> None:
    assert _ids(add_step(TEXT, {"type": "wait", "duration": "1m"}))[0] == "wait"
    with pytest.raises(EditError, match="no exit 'nope'"):
        add_step(TEXT, {"type": "wait"}, "topic", "nope")
    with pytest.raises(EditError, match="no step 'ghost'"):
        add_step(TEXT, {"type": "wait"}, "ghost")
    with pytest.raises(EditError, match="unknown step type 'teleport'"):
        add_step(TEXT, {"type": "teleport"}, "hello")
    with pytest.raises(EditError, match="taken"):
        add_step(TEXT, {"type": "wait", "id": "hello"}, "hello")


def test_removing_a_step_sends_its_ways_in_where_it_went() -> None:
    text = remove_step(TEXT, "late")
    assert _ids(text) == ["hello", "topic", "thanks"]
    assert _step(text, "topic")["exits"] == {"timeout": "end"}
    _keeps_comments(text)
    middle = remove_step(TEXT, "thanks")
    assert _step(middle, "topic")["next"] == "end"  # it fell through into thanks
    assert _path(remove_step(TEXT, "hello"))[0] == "topic"


def test_removing_a_step_that_goes_several_ways_is_refused_while_something_leads_to_it() -> None:
    with pytest.raises(EditError, match="goes to late as well as thanks"):
        remove_step(TEXT, "topic")
    with pytest.raises(EditError, match="no step 'ghost'"):
        remove_step(TEXT, "ghost")


def test_removing_the_first_step_keeps_the_run_going_where_it_went() -> None:
    text = """\
name: x
trigger: {event: conversation.created}
steps:
  - {id: a, type: send_message, text: A, next: c}
  - {id: b, type: send_message, text: B, next: end}
  - {id: c, type: send_message, text: C}
"""
    removed = remove_step(text, "a")
    assert _ids(removed) == ["c", "b"]
    assert _path(removed) == ["c"]


def test_connecting_an_exit_or_next() -> None:
    text = connect(TEXT, "topic", "timeout", "thanks")
    assert _step(text, "topic")["exits"] == {"timeout": "thanks"}
    text = connect(text, "hello", "next", "end")
    assert _step(text, "hello")["next"] == "end"
    assert _path(text) == ["hello"]
    _keeps_comments(text)
    with pytest.raises(EditError, match="no step 'ghost' to connect to"):
        connect(TEXT, "topic", "timeout", "ghost")
    with pytest.raises(EditError, match="send_message has no exit 'timeout'"):
        connect(TEXT, "hello", "timeout", "end")


PLAIN = """\
# Three messages.
name: three
trigger: {event: conversation.created}
steps:
  - {id: one, type: send_message, text: One}
  - type: send_message
    text: Two
  - {id: three, type: send_message, text: Three}
  - {id: four, type: send_message, text: Four, next: end}
  - {id: five, type: send_message, text: Five}
"""


@pytest.mark.parametrize(("step_id", "index"), [("three", 4), ("five", 1), ("step-2", 3)])
def test_moving_a_step_keeps_the_path_of_every_run(step_id: str, index: int) -> None:
    moved = move_step(PLAIN, step_id, index)
    assert _ids(moved)[index] == step_id
    assert _path(moved) == _path(PLAIN) == ["one", "step-2", "three", "four"]
    assert "# Three messages." in moved


def test_moving_out_of_range_or_an_unknown_step() -> None:
    with pytest.raises(EditError, match="outside"):
        move_step(PLAIN, "one", 5)
    with pytest.raises(EditError, match="no step 'ghost'"):
        move_step(PLAIN, "ghost", 0)


def test_setting_a_steps_fields_keeps_its_id_its_key_order_and_comments() -> None:
    text = set_step(TEXT, "hello", {"id": "other", "type": "send_message", "text": "Hello!"})
    assert _step(text, "hello") == {"id": "hello", "type": "send_message", "text": "Hello!"}
    assert "text: Hello! # said first" in text
    _keeps_comments(text)
    text = set_step(
        text, "topic", {"type": "ask_question", "question": "Why?", "save_to": "vars.topic"}
    )
    assert "exits" not in _step(text, "topic")
    with pytest.raises(EditError, match="no step 'ghost'"):
        set_step(TEXT, "ghost", {"type": "send_message", "text": "x"})


def test_an_unreadable_text_is_refused() -> None:
    with pytest.raises(EditError, match="cannot be read"):
        add_step("name: [", {"type": "wait"})
    with pytest.raises(EditError, match="mapping"):
        add_step("- a\n", {"type": "wait"})


def test_a_workflow_with_no_steps_gets_its_first() -> None:
    text = add_step("name: x\ntrigger: {event: conversation.created}\n", {"type": "wait"})
    assert _ids(text) == ["wait"]


LOOP = """\
name: loop
trigger: {event: conversation.created}
steps:
  - id: route
    type: branch
    cases:
      - when: {all: [{field: message.text, op: contains, value: again}]}
        goto: again
    else: hello
  - {id: hello, type: send_message, text: Hello, next: end}
  - {id: again, type: send_message, text: Again}
  - {id: back, type: jump_to, target: again, max_jumps: 1}
"""


def test_removing_a_step_a_branch_or_a_jump_names_redirects_them() -> None:
    text = remove_step(LOOP, "hello")
    assert _step(text, "route")["else"] == "end"
    assert _path(text) == ["route"]
    with pytest.raises(EditError, match="jumps to the step, which ends the run"):
        remove_step(LOOP.replace("text: Again}", "text: Again, next: end}"), "again")


def test_moving_keeps_a_branch_without_fall_through_as_it_is() -> None:
    moved = move_step(LOOP, "route", 3)
    assert "next" not in _step(moved, "route")
    assert _step(moved, "back")["next"] == "end"  # it was last: it ended the run
    assert "next" not in _step(moved, "again")
    workflow, problems = parse_text(moved)
    assert workflow is not None, problems
    assert workflow.first_step_id() == "hello"  # the first step is where runs begin


def test_adding_after_a_step_with_next_takes_over_its_next() -> None:
    text = add_step(LOOP, {"type": "add_tag", "tag": "polite"}, after="hello")
    assert "next" not in _step(text, "hello")
    assert _step(text, "add_tag")["next"] == "end"
    assert _ids(text) == ["route", "hello", "add_tag", "again", "back"]
