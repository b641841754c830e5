from __future__ import annotations

from datetime import timedelta

import pytest

from workflows.effects import CancelTimer, ScheduleTimer, SendMessage, SetContactField
from workflows.inputs import Answer, CallResult, DeliveryFailed, TimerFired
from workflows.message_parts import Choice
from workflows.schema import Workflow

from .helpers import NOW, begin, exits_logged, feed, ok, workflow

ROUTES = """
- {id: ask, type: ask_question, question: "{{ q }}", answer_type: %s, %s
   exits: {answered: yes, invalid: bad, timeout: late, delivery_failed: lost}}
- {id: yes, type: send_message, text: "got {{ vars.out }}"}
- {id: end1, type: close_conversation}
- {id: bad, type: send_message, text: invalid}
- {id: end2, type: close_conversation}
- {id: late, type: send_message, text: timeout}
- {id: end3, type: close_conversation}
- {id: lost, type: send_message, text: lost}
"""


def ask(answer_type: str, extra: str = "") -> Workflow:
    body = ROUTES.replace('"{{ q }}"', "Question").replace("%s, %s", f"{answer_type}, {extra}")
    return workflow(body.replace("%s", answer_type))


def test_sends_the_question_with_choices_and_an_input_hint() -> None:
    wf = workflow(
        """
        - id: topic
          type: ask_question
          question: "What is it about, {{ contact.name }}?"
          answer_type: choice
          choices: [Billing, {label: Shipping, value: ship}]
        """
    )
    t = begin(wf)
    assert t.state.status == "waiting"
    assert t.state.waiting_for == "answer"
    [question] = t.effects
    assert isinstance(question, SendMessage)
    assert question.text == "What is it about, Ada?"
    assert question.input_type == "choice"
    assert question.choices == [
        Choice(label="Billing", value="Billing"),
        Choice(label="Shipping", value="ship"),
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Answer(text="2"), "ship"),
        (Answer(text="shipping"), "ship"),
        (Answer(text="whatever", payload="ship"), "ship"),
        (Answer(text="BILLING"), "Billing"),
    ],
)
def test_choice_answers_by_number_label_value_or_payload(given: Answer, expected: str) -> None:
    wf = workflow(
        """
        - {id: topic, type: ask_question, question: Topic, answer_type: choice,
           choices: [Billing, {label: Shipping, value: ship}], save_to: vars.topic}
        """
    )
    t = feed(wf, begin(wf).state, given)
    assert t.state.status == "completed"
    assert t.state.variables["topic"] == expected


def test_answered_exit_saves_to_a_variable() -> None:
    wf = ask("email", "save_to: vars.out,")
    t = feed(wf, begin(wf).state, Answer(text="Ada@Example.com"))
    assert t.state.variables["out"] == "Ada@example.com"
    assert exits_logged(t)[0] == "answered"
    assert t.effects[0].text == "got Ada@example.com"  # type: ignore[union-attr]
    assert t.state.status == "calling"  # the close_conversation after it


def test_retry_then_invalid_after_max_attempts() -> None:
    wf = ask("email", "max_attempts: 2, retry_message: 'Try again: {{ contact.name }}',")
    t = begin(wf)
    t = feed(wf, t.state, Answer(text="not an email"))
    assert t.state.status == "waiting"
    assert t.state.attempts == 1
    assert [e.text for e in t.effects] == ["Try again: Ada"]  # type: ignore[union-attr]
    t = feed(wf, t.state, Answer(text="still not"))
    assert exits_logged(t)[0] == "invalid"
    assert t.effects[0].text == "invalid"  # type: ignore[union-attr]


def test_default_retry_message_repeats_the_question() -> None:
    wf = ask("number", "validation: {min: 1, max: 10},")
    t = feed(wf, begin(wf).state, Answer(text="11"))
    assert t.effects[0].text == "Sorry, I didn't get that. Question"  # type: ignore[union-attr]
    assert next(e for e in t.log if e.kind != "input").data["reason"] == "more than 10"


def test_timeout_exit_fires_from_the_timer() -> None:
    wf = ask("text", "timeout: 2h,")
    t = begin(wf)
    timer = t.effects[-1]
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == NOW + timedelta(hours=2)
    t = feed(wf, t.state, TimerFired(token=timer.token), now=timer.due_at)
    assert exits_logged(t)[0] == "timeout"
    assert t.effects[0].text == "timeout"  # type: ignore[union-attr]


def test_an_accepted_answer_cancels_the_timeout_timer() -> None:
    wf = ask("text", "timeout: 2h,")
    t = begin(wf)
    token = t.state.timer_token
    t = feed(wf, t.state, Answer(text="hello"))
    assert CancelTimer(token=token or "") in t.effects
    assert t.state.timer_token is None


def test_delivery_failed_exit() -> None:
    wf = ask("text")
    t = feed(wf, begin(wf).state, DeliveryFailed(reason="blocked by user"))
    assert exits_logged(t)[0] == "delivery_failed"
    assert t.effects[0].text == "lost"  # type: ignore[union-attr]
    assert any(e.kind == "error" and e.message == "blocked by user" for e in t.log)


def test_save_to_contact_field_is_a_call_then_answered() -> None:
    wf = ask("phone", "save_to: contact.phone,")
    t = feed(wf, begin(wf).state, Answer(text="+1 415 555 2671"))
    assert t.state.status == "calling"
    assert t.call == SetContactField(field="phone", value="+14155552671")
    t = feed(wf, t.state, ok())
    assert exits_logged(t)[0] == "answered"


def test_failed_contact_save_still_counts_as_answered_but_is_logged() -> None:
    wf = ask("text", "save_to: contact.company,")
    t = feed(wf, begin(wf).state, Answer(text="Acme"))
    t = feed(wf, t.state, CallResult(outcome="failure", reason="db down"))
    assert exits_logged(t)[0] == "answered"
    assert any(e.kind == "error" for e in t.log)


def test_yes_no_offers_buttons_and_accepts_payloads() -> None:
    wf = ask("yes_no", "save_to: vars.out,")
    t = begin(wf)
    assert [c.value for c in t.effects[0].choices] == ["yes", "no"]  # type: ignore[union-attr]
    t = feed(wf, t.state, Answer(text="No", payload="no"))
    assert t.state.variables["out"] is False
