"""branch, jump_to, wait, date_time, trigger_workflow through start/advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows.effects import ScheduleTimer, SendMessage, TriggerWorkflow
from workflows.inputs import CallResult, TimerFired

from .helpers import NOW, begin, context, exits_logged, feed, ok, steps_logged, workflow

BRANCH = """
- id: route
  type: branch
  cases:
    - when: {all: [{field: conversation.channel, op: eq, value: telegram}]}
      goto: tg
    - when: {any: [{field: lead.expected_amount, op: gt, value: 5000},
                   {field: contact.name, op: eq, value: nobody}]}
      goto: big
  else: other
- {id: tg, type: set_variable, name: path, value: tg}
- {id: big, type: set_variable, name: path, value: big}
- {type: close_conversation}
- {id: other, type: set_variable, name: path, value: other}
"""


def test_branch_takes_the_first_matching_case_and_logs_the_checks() -> None:
    t = begin(workflow(BRANCH))
    assert t.state.variables["path"] == "big"
    assert steps_logged(t)[:2] == ["route", "big"]
    conditions = [e for e in t.log if e.kind == "condition"]
    assert [c.data["result"] for c in conditions] == [False, True]
    assert conditions[1].data["checks"][0] == {
        "field": "lead.expected_amount",
        "op": "gt",
        "expected": 5000,
        "actual": 7500,
        "result": True,
    }


def test_branch_first_case() -> None:
    ctx = context()
    ctx["conversation"]["channel"] = "telegram"
    t = begin(workflow(BRANCH), ctx)
    assert steps_logged(t)[:3] == ["route", "tg", "big"]


def test_branch_else() -> None:
    t = begin(workflow(BRANCH), context(lead=None))
    assert steps_logged(t) == ["route", "other"]
    assert t.state.status == "completed"


def test_branch_without_else_continues_with_the_next_step() -> None:
    wf = workflow(
        """
        - {id: route, type: branch, cases: [{when: {field: vars.x, op: exists}, goto: far}]}
        - {id: near, type: set_variable, name: path, value: near}
        - {id: far, type: set_variable, name: also, value: far}
        """
    )
    t = begin(wf)
    assert steps_logged(t) == ["route", "near", "far"]


def test_jump_loop_stops_at_max_jumps_via_exhausted() -> None:
    wf = workflow(
        """
        - {id: top, type: send_message, text: "try"}
        - {id: again, type: jump_to, target: top, max_jumps: 2, exits: {exhausted: give_up}}
        - {id: never, type: send_message, text: never}
        - {id: give_up, type: send_message, text: "gave up"}
        """
    )
    t = begin(wf)
    texts = [e.text for e in t.effects if isinstance(e, SendMessage)]
    assert texts == ["try", "try", "try", "gave up"]
    assert t.state.jumps == {"again": 2}
    assert exits_logged(t).count("exhausted") == 1


def test_jump_exhausted_unmapped_continues_with_the_next_step() -> None:
    wf = workflow(
        """
        - {id: top, type: set_variable, name: x, value: 1}
        - {id: again, type: jump_to, target: top}
        - {id: after, type: send_message, text: after}
        """
    )
    t = begin(wf)
    assert t.state.jumps == {"again": 3}
    assert steps_logged(t)[-1] == "after"


@pytest.mark.parametrize(
    ("duration", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("PT2H", timedelta(hours=2)),
    ],
)
def test_wait_schedules_a_timer_and_resumes_on_it(duration: str, delta: timedelta) -> None:
    wf = workflow(f"- {{type: wait, duration: {duration}}}\n- {{type: send_message, text: later}}")
    t = begin(wf)
    assert t.state.waiting_for == "timer"
    [timer] = t.effects
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == NOW + delta
    t = feed(wf, t.state, TimerFired(token=timer.token), now=timer.due_at)
    assert [e.text for e in t.effects] == ["later"]  # type: ignore[union-attr]


def test_wait_until_a_time() -> None:
    wf = workflow("- {type: wait, until: '2026-01-06T08:00:00+01:00'}")
    timer = begin(wf).effects[0]
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)


def test_wait_until_a_templated_time_already_past_goes_straight_on() -> None:
    wf = workflow("- {type: wait, until: '{{ vars.when }}'}\n- {type: send_message, text: now}")
    t = begin(wf, variables={"when": "2020-01-01T00:00:00Z"})
    assert t.state.status == "completed"
    assert [type(e) for e in t.effects] == [SendMessage]


HOURS = """
- id: hours
  type: date_time
  timezone: Europe/Berlin
  hours: {mon: ["09:00-12:00", "13:00-17:00"], tue: ["09:00-17:00"]}
  holidays: [2026-01-06]
  exits: {open: open, closed: closed}
- {id: open, type: send_message, text: open}
- {type: close_conversation}
- {id: closed, type: send_message, text: "closed until {{ vars.next_open }}"}
"""


def test_date_time_open() -> None:
    t = begin(workflow(HOURS))  # Monday 10:00 UTC = 11:00 Berlin
    assert exits_logged(t)[0] == "open"
    assert t.state.variables["is_open"] is True


def test_date_time_closed_over_lunch_with_next_open() -> None:
    t = begin(workflow(HOURS), now=datetime(2026, 1, 5, 11, 30, tzinfo=UTC))
    assert exits_logged(t)[0] == "closed"
    assert t.state.variables["next_open"] == "2026-01-05T13:00:00+01:00"


def test_date_time_skips_listed_holidays_and_closed_days() -> None:
    t = begin(workflow(HOURS), now=datetime(2026, 1, 5, 17, 0, tzinfo=UTC))
    assert exits_logged(t)[0] == "closed"
    # Tuesday 6 January is a listed holiday; Wednesday has no hours; next Monday 09:00
    assert t.state.variables["next_open"] == "2026-01-12T09:00:00+01:00"
    assert t.effects[0].text == "closed until 2026-01-12T09:00:00+01:00"  # type: ignore[union-attr]


def test_date_time_country_holidays() -> None:
    wf = workflow(
        """
        - {id: h, type: date_time, timezone: America/New_York, holiday_country: US,
           hours: {thu: ["09:00-17:00"], fri: ["09:00-17:00"]}}
        """
    )
    thanksgiving = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    t = begin(wf, now=thanksgiving)
    assert exits_logged(t)[0] == "closed"
    assert t.state.variables["next_open"] == "2026-11-27T09:00:00-05:00"


def test_trigger_workflow_asks_for_a_child_run_one_level_deeper() -> None:
    wf = workflow(
        """
        - {type: trigger_workflow, workflow: survey, variables: {who: "{{ contact.name }}", n: 2}}
        - {type: send_message, text: after}
        """
    )
    t = begin(wf, depth=2)
    assert t.call == TriggerWorkflow(workflow="survey", variables={"who": "Ada", "n": 2}, depth=3)
    t = feed(wf, t.state, ok({"run_id": 9}))
    assert t.state.status == "completed"


def test_trigger_workflow_failure_is_logged_and_the_run_goes_on() -> None:
    wf = workflow("- {type: trigger_workflow, workflow: gone}\n- {type: send_message, text: x}")
    t = feed(wf, begin(wf).state, CallResult(outcome="failure", reason="no such workflow"))
    assert any(e.kind == "error" and "no such workflow" in e.message for e in t.log)
    assert t.state.status == "completed"


def test_trigger_workflow_beyond_depth_5_fails_clearly() -> None:
    wf = workflow("- {type: trigger_workflow, workflow: deeper}")
    t = begin(wf, depth=5)
    assert t.state.status == "failed"
    assert t.call is None
    assert "depth would be 6" in (t.state.error or "")
