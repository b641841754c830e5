"""Steps that make one call each: run_action, assign_to, tags, stage, close."""

from __future__ import annotations

import pytest

from workflows.effects import (
    AddTag,
    Assign,
    ChangeLeadStage,
    CloseConversation,
    RemoveTag,
    RunAction,
    ScheduleTimer,
    SendMessage,
)
from workflows.inputs import Assigned, CallResult, TimerFired

from .helpers import begin, context, exits_logged, feed, ok, workflow

ACTION = """
- {id: lookup, type: run_action, action: shopify.order_lookup, save_as: order,
   inputs: {order_number: "{{ vars.number }}", email: "{{ contact.email | default: 'none' }}"},
   exits: {success: found, declined: missing, failure: broken}}
- {id: found, type: send_message, text: "Order {{ vars.order.status }}"}
- {type: close_conversation}
- {id: missing, type: send_message, text: "not found"}
- {type: close_conversation}
- {id: broken, type: send_message, text: "broken"}
"""


def test_run_action_renders_inputs_with_a_stable_idempotency_key() -> None:
    wf = workflow(ACTION)
    t = begin(wf, variables={"number": 1001})
    assert isinstance(t.call, RunAction)
    assert t.call.action == "shopify.order_lookup"
    assert t.call.inputs == {"order_number": 1001, "email": "none"}
    assert t.call.idempotency_key == begin(wf, variables={"number": 1001}).call.idempotency_key  # type: ignore[union-attr]
    assert t.call.idempotency_key.startswith("r1:lookup:")


@pytest.mark.parametrize(
    ("outcome", "text"),
    [("success", "Order shipped"), ("declined", "not found"), ("failure", "broken")],
)
def test_run_action_exits(outcome: str, text: str) -> None:
    wf = workflow(ACTION)
    t = begin(wf)
    t = feed(wf, t.state, CallResult(outcome=outcome, data={"status": "shipped"}))
    assert exits_logged(t)[0] == outcome
    assert t.effects[0].text == text  # type: ignore[union-attr]
    assert t.state.variables["order"] == {"status": "shipped"}


ASSIGN = """
- {id: a, type: assign_to, team: support, strategy: round_robin, timeout: 5m,
   exits: {assigned: yes, unavailable: nobody, timeout: slow}}
- {id: yes, type: send_message, text: "assigned {{ vars.assigned_agent }}"}
- {type: close_conversation}
- {id: nobody, type: send_message, text: nobody}
- {type: close_conversation}
- {id: slow, type: send_message, text: slow}
"""


def test_assign_call_carries_who_and_the_offer_timeout() -> None:
    t = begin(workflow(ASSIGN))
    assert t.call == Assign(team="support", strategy="round_robin", offer_timeout_seconds=300)


def test_assign_assigned_directly() -> None:
    wf = workflow(ASSIGN)
    t = feed(wf, begin(wf).state, ok({"agent": "grace"}))
    assert exits_logged(t)[0] == "assigned"
    assert t.effects[0].text == "assigned grace"  # type: ignore[union-attr]


def test_assign_unavailable() -> None:
    wf = workflow(ASSIGN)
    t = feed(wf, begin(wf).state, CallResult(outcome="declined", reason="all agents away"))
    assert exits_logged(t)[0] == "unavailable"
    assert t.effects[0].text == "nobody"  # type: ignore[union-attr]


def test_assign_offered_then_accepted() -> None:
    wf = workflow(ASSIGN)
    t = feed(wf, begin(wf).state, ok({"offered": True}))
    assert t.state.waiting_for == "assignment"
    assert isinstance(t.effects[0], ScheduleTimer)
    t = feed(wf, t.state, Assigned(agent="linus"))
    assert exits_logged(t)[0] == "assigned"
    assert t.effects[1].text == "assigned linus"  # type: ignore[union-attr]


def test_assign_offered_then_timeout() -> None:
    wf = workflow(ASSIGN)
    t = feed(wf, begin(wf).state, ok({"offered": True}))
    token = t.effects[0].token  # type: ignore[union-attr]
    t = feed(wf, t.state, TimerFired(token=token))
    assert exits_logged(t)[0] == "timeout"
    assert t.effects[0].text == "slow"  # type: ignore[union-attr]


def test_assign_to_an_ai_agent() -> None:
    t = begin(workflow("- {type: assign_to, ai_agent: helper-bot}"))
    assert t.call == Assign(ai_agent="helper-bot")


@pytest.mark.parametrize(
    ("step", "call"),
    [
        ("{type: add_tag, tag: VIP}", AddTag(tag="VIP")),
        ("{type: remove_tag, tag: 'lead-{{ lead.stage }}'}", RemoveTag(tag="lead-qualified")),
        ("{type: change_lead_stage, stage: won}", ChangeLeadStage(stage="won")),
        ("{type: close_conversation}", CloseConversation()),
    ],
)
def test_call_steps(step: str, call: object) -> None:
    wf = workflow(f"- {step}\n- {{type: send_message, text: next}}")
    t = begin(wf)
    assert t.state.status == "calling"
    assert t.call == call
    t = feed(wf, t.state, ok())
    assert isinstance(t.effects[0], SendMessage)
    assert t.state.status == "completed"


def test_change_lead_stage_without_a_lead_is_logged_and_skipped() -> None:
    t = begin(workflow("- {type: change_lead_stage, stage: won}"), context(lead=None))
    assert t.call is None
    assert t.state.status == "completed"
    assert any(e.kind == "error" and "no lead" in e.message for e in t.log)
