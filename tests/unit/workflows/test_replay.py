"""Replaying recorded runs against a draft: the engine records what each run was given;
the same version replays to the same path, a changed one says where and why it differs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows.inputs import Answer, CallResult, TimerFired
from workflows.replay import LogLine, PathStep, compare, recording_of
from workflows.schema import Workflow
from workflows.state import LogEntry, Transition

from .helpers import NOW, begin, context, feed, workflow

SURVEY = """
- id: ask_score
  type: ask_question
  question: "From 1 to 10?"
  answer_type: number
  validation: {min: 1, max: 10}
  max_attempts: 2
  timeout: 1h
  exits: {timeout: remind}
- id: route
  type: branch
  cases:
    - when: {field: vars.answer_ask_score, op: gte, value: 9}
      goto: thanks
  else: sorry
- id: thanks
  type: send_message
  text: Thanks!
  next: end
- id: sorry
  type: send_message
  text: Sorry to hear.
  next: end
- id: remind
  type: send_message
  text: Never mind.
"""


class Recorder:
    """Runs a workflow as the runner does and keeps its log as stored lines."""

    def __init__(self, definition: Workflow) -> None:
        self.definition = definition
        self.lines: list[LogLine] = []
        self.transition = self._keep(begin(definition))

    def _keep(self, transition: Transition) -> Transition:
        self.lines.extend(_line(e) for e in transition.log)
        return transition

    def give(self, run_input: Any, minutes: int = 0) -> Recorder:
        now = NOW + timedelta(minutes=minutes)
        self.transition = self._keep(
            feed(self.definition, self.transition.state, run_input, context(), now)
        )
        return self

    @property
    def status(self) -> str:
        return self.transition.state.status


def _line(entry: LogEntry) -> LogLine:
    return LogLine(entry.kind, entry.step_id, entry.message, entry.data)


def _recorded(rec: Recorder) -> Any:
    return recording_of(1, rec.status, rec.lines)


UNTIL = NOW + timedelta(days=30)


def test_the_same_version_replays_to_the_same_path() -> None:
    wf = workflow(SURVEY)
    rec = Recorder(wf).give(Answer(text="12"), 1).give(Answer(text="10"), 2)
    assert rec.status == "completed"
    outcome = compare(wf, _recorded(rec), 1, UNTIL)
    assert outcome.verdict == "same"
    assert outcome.replayed_path == outcome.recorded_path
    asked, invalid, answered, route, thanks = outcome.recorded_path
    assert {asked.step_id, invalid.step_id, answered.step_id} == {"ask_score"}
    assert (invalid.exit, answered.exit) == (None, "answered")
    assert (route.step_id, thanks.step_id) == ("route", "thanks")


def test_a_changed_threshold_differs_at_the_branch_with_the_values_compared() -> None:
    rec = Recorder(workflow(SURVEY)).give(Answer(text="8"), 1)
    draft = workflow(SURVEY.replace("value: 9", "value: 7"))
    outcome = compare(draft, _recorded(rec), 1, UNTIL)
    assert outcome.verdict == "differs"
    assert outcome.step_id == "route"
    assert "thanks" in outcome.reason or "route" in outcome.reason
    assert {"field": "vars.answer_ask_score", "op": "gte", "expected": 7}.items() <= {
        k: v for k, v in outcome.checks[0].items() if k in ("field", "op", "expected")
    }.items()
    assert outcome.checks[0]["actual"] in (8, "8")
    assert outcome.checks[0]["result"] is True
    assert outcome.recorded_checks[0]["result"] is False


def test_timers_run_on_a_simulated_clock() -> None:
    rec = Recorder(workflow(SURVEY))
    token = rec.transition.state.timer_token
    rec.give(TimerFired(token=token or ""), 61)
    assert [str(s) for s in _recorded(rec).path] == ["ask_score", "ask_score (timeout)", "remind"]
    same = compare(workflow(SURVEY), _recorded(rec), 1, UNTIL)
    assert same.verdict == "same"
    # a longer timeout has not fallen due when replayed up to an hour and a half later
    longer = workflow(SURVEY.replace("timeout: 1h", "timeout: 2h"))
    outcome = compare(longer, _recorded(rec), 1, NOW + timedelta(minutes=90))
    assert outcome.verdict == "differs"
    assert outcome.replayed_status == "waiting"
    assert outcome.replayed_path == [PathStep("ask_score")]


def test_an_answer_now_refused_by_validation_takes_the_retry_path() -> None:
    rec = Recorder(workflow(SURVEY)).give(Answer(text="10"), 1)
    stricter = workflow(SURVEY.replace("max: 10", "max: 5"))
    outcome = compare(stricter, _recorded(rec), 1, UNTIL)
    assert outcome.verdict == "differs"
    assert outcome.step_id == "ask_score"


def test_a_draft_that_fails_is_reported_with_its_error() -> None:
    looping = """
    - id: again
      type: branch
      cases:
        - when: {field: contact.name, op: eq, value: Ada}
          goto: again
    """
    ok_version = workflow("- {id: again, type: send_message, text: hi}")
    rec = Recorder(ok_version)
    outcome = compare(workflow(looping), _recorded(rec), 1, UNTIL)
    assert outcome.verdict == "fails", outcome
    assert outcome.reason


def test_calls_are_answered_with_the_recorded_result_at_the_same_step() -> None:
    tagging = """
    - {id: tag, type: add_tag, tag: VIP}
    - {id: done, type: send_message, text: done}
    """
    rec = Recorder(workflow(tagging)).give(CallResult(outcome="success"))
    assert rec.status == "completed"
    assert compare(workflow(tagging), _recorded(rec), 1, UNTIL).verdict == "same"
    moved = """
    - {id: first, type: add_tag, tag: New}
    - {id: done, type: send_message, text: done}
    """
    outcome = compare(workflow(moved), _recorded(rec), 1, UNTIL)
    assert outcome.verdict == "not_comparable"
    assert "first" in outcome.reason


def test_runs_recorded_before_inputs_were_kept_are_not_comparable() -> None:
    rec = Recorder(workflow(SURVEY)).give(Answer(text="10"), 1)
    old = [line for line in rec.lines if line.kind not in ("input",) and "replay" not in line.data]
    outcome = compare(workflow(SURVEY), recording_of(1, rec.status, old), 1, UNTIL)
    assert outcome.verdict == "not_comparable"
    assert "recorded before" in outcome.reason


def test_a_draft_whose_trigger_filter_refuses_the_event_would_not_start() -> None:
    rec = Recorder(workflow(SURVEY))
    draft = workflow(SURVEY, trigger="{event: conversation.created, channel: telegram}")
    outcome = compare(draft, _recorded(rec), 1, UNTIL)
    assert outcome.verdict == "would_not_start"
    assert "whatsapp" in outcome.reason
