from __future__ import annotations

from datetime import timedelta

import pytest

from workflows.effects import AddTag, CancelTimer, ScheduleTimer, SendMessage
from workflows.inputs import Answer, CallResult, HumanTookOver, TimerFired
from workflows.state import MAX_STEPS_PER_ACTIVATION, RunState

from .helpers import NOW, begin, context, feed, ok, steps_logged, workflow


def test_runs_plain_steps_to_completion_and_numbers_unnamed_steps() -> None:
    wf = workflow(
        """
        - {type: set_variable, name: greeting, value: "Hi {{ contact.name }}"}
        - {type: send_message, text: "{{ vars.greeting }}!"}
        """
    )
    t = begin(wf)
    assert t.state.status == "completed"
    assert t.call is None
    assert steps_logged(t) == ["step-1", "step-2"]
    [message] = t.effects
    assert isinstance(message, SendMessage)
    assert message.text == "Hi Ada!"
    assert message.step_id == "step-2"


def test_a_call_suspends_the_run_until_its_result_arrives() -> None:
    wf = workflow(
        """
        - {type: add_tag, tag: VIP}
        - {type: send_message, text: done}
        """
    )
    t = begin(wf)
    assert t.state.status == "calling"
    assert t.call == AddTag(tag="VIP")
    assert t.effects == []
    t = feed(wf, t.state, ok())
    assert t.state.status == "completed"
    assert [type(e) for e in t.effects] == [SendMessage]


def test_state_survives_a_json_round_trip() -> None:
    wf = workflow("- {id: ask, type: ask_question, question: 'Name?', timeout: 1h}")
    t = begin(wf)
    stored = t.state.model_dump_json()
    restored = RunState.model_validate_json(stored)
    assert restored == t.state
    t2 = feed(wf, restored, Answer(text="Grace"))
    assert t2.state.status == "completed"
    assert t2.state.variables == {"answer_ask": "Grace"}


def test_stale_timer_token_is_ignored_and_the_current_one_fires_once() -> None:
    wf = workflow(
        """
        - {id: pause, type: wait, duration: 30m}
        - {type: send_message, text: later}
        """
    )
    t = begin(wf)
    [timer] = t.effects
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == NOW + timedelta(minutes=30)
    stale = feed(wf, t.state, TimerFired(token="old-token"))
    assert stale.state == t.state
    assert stale.effects == []
    assert stale.log[0].kind == "input"
    assert "stale timer" in stale.log[1].message
    fired = feed(wf, t.state, TimerFired(token=timer.token), now=timer.due_at)
    assert fired.state.status == "completed"
    again = feed(wf, fired.state, TimerFired(token=timer.token))
    assert again.state == fired.state
    assert again.effects == []


def test_more_than_100_steps_in_one_activation_fails_clearly() -> None:
    wf = workflow(
        """
        - {id: top, type: set_variable, name: x, value: 1}
        - {id: back, type: jump_to, target: top, max_jumps: 100}
        """
    )
    t = begin(wf)
    assert t.state.status == "failed"
    assert t.state.steps_this_activation == MAX_STEPS_PER_ACTIVATION
    assert t.state.error is not None
    assert "100 steps" in t.state.error
    assert t.log[-1].kind == "error"


def test_a_loop_under_the_cap_is_fine() -> None:
    wf = workflow(
        """
        - {id: top, type: set_variable, name: x, value: 1}
        - {id: back, type: jump_to, target: top, max_jumps: 40}
        """
    )
    assert begin(wf).state.status == "completed"


def test_human_takeover_stops_a_waiting_question_and_cancels_its_timer() -> None:
    wf = workflow(
        "- {id: ask, type: ask_question, question: 'Email?', answer_type: email, timeout: 1h}"
    )
    t = begin(wf)
    token = t.state.timer_token
    stopped = feed(wf, t.state, HumanTookOver(reason="agent replied in Slack"))
    assert stopped.state.status == "cancelled"
    assert stopped.effects == [CancelTimer(token=token or "")]
    assert "agent replied in Slack" in stopped.log[-1].message


def test_human_takeover_does_not_stop_a_timer_wait() -> None:
    wf = workflow("- {type: wait, duration: 24h}\n- {type: send_message, text: thanks}")
    t = begin(wf)
    same = feed(wf, t.state, HumanTookOver(reason="agent assigned"))
    assert same.state == t.state


def test_inputs_the_run_does_not_expect_are_ignored() -> None:
    wf = workflow("- {type: wait, duration: 24h}")
    t = begin(wf)
    answer = feed(wf, t.state, Answer(text="hi"))
    assert answer.state == t.state
    assert [e.kind for e in answer.log] == ["input", "info"]
    assert answer.log[1].message.startswith("input ignored")
    result = feed(wf, t.state, CallResult(outcome="success"))
    assert result.state == t.state


def test_finished_runs_ignore_everything() -> None:
    wf = workflow("- {type: send_message, text: hi}")
    t = begin(wf)
    again = feed(wf, t.state, Answer(text="x"))
    assert again.state.status == "completed"
    assert again.effects == []


def test_start_beyond_the_depth_limit_fails() -> None:
    wf = workflow("- {type: send_message, text: hi}")
    t = begin(wf, depth=6)
    assert t.state.status == "failed"
    assert t.effects == []


def test_variables_passed_at_start_and_runner_vars_are_visible() -> None:
    wf = workflow('- {type: send_message, text: "{{ vars.order }} {{ vars.from_runner }}"}')
    t = begin(wf, context(vars={"from_runner": "R"}), variables={"order": "#1001"})
    assert t.effects[0].text == "#1001 R"  # type: ignore[union-attr]


def test_missing_template_variables_render_empty_and_are_logged() -> None:
    wf = workflow('- {type: send_message, text: "Hi {{ contact.nickname }}!"}')
    t = begin(wf)
    assert t.effects[0].text == "Hi !"  # type: ignore[union-attr]
    [info] = [e for e in t.log if e.message.startswith("template variables")]
    assert info.data == {"missing": ["contact.nickname"]}


def test_naive_now_is_refused() -> None:
    wf = workflow("- {type: send_message, text: hi}")
    with pytest.raises(ValueError, match="aware"):
        begin(wf, now=NOW.replace(tzinfo=None))
