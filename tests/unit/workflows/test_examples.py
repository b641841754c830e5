"""Every example workflow loads, and the support flow is driven down each of its paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from workflows.effects import (
    AddTag,
    Assign,
    CloseConversation,
    Notify,
    RunAction,
    ScheduleTimer,
    SendMessage,
    SetContactField,
    TriggerWorkflow,
    Webhook,
)
from workflows.inputs import Answer, CallResult, TimerFired
from workflows.loader import load_dir
from workflows.schema import Workflow
from workflows.state import Transition
from workflows.triggers import TriggerIndex

from .helpers import NOW, begin, context, feed, ok

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workflows"


@pytest.fixture(scope="module")
def flows() -> dict[str, Workflow]:
    return {w.name: w for w in load_dir(EXAMPLES)}


def test_every_example_loads(flows: dict[str, Workflow]) -> None:
    # the seed examples and the support flow are all there (others may be added)
    assert set(flows) >= {
        "new-conversation-round-robin",
        "qualified-vip-lead",
        "closed-conversation-followup",
        "support",
        "support-survey",
    }


def test_support_uses_all_ten_step_types(flows: dict[str, Workflow]) -> None:
    used = {step.type for step in flows["support"].steps}
    assert used >= {
        "send_message", "ask_question", "branch", "run_action", "assign_to",
        "close_conversation", "wait", "date_time", "jump_to", "trigger_workflow",
    }  # fmt: skip


def texts(t: Transition) -> list[str]:
    return [e.text for e in t.effects if isinstance(e, SendMessage)]


def ctx_with_email() -> dict[str, Any]:
    ctx = context()
    ctx["contact"]["email"] = "ada@example.com"
    return ctx


def to_lookup(wf: Workflow) -> Transition:
    t = begin(wf)
    assert texts(t) == ["Hi Ada! I'm the relaybot assistant.", "What can I help you with?"]
    t = feed(wf, t.state, Answer(text="1"))
    assert texts(t) == ["Which e-mail address did you use for the order?"]
    t = feed(wf, t.state, Answer(text="ada@example.com"))
    assert t.call == SetContactField(field="email", value="ada@example.com")
    t = feed(wf, t.state, ok(), ctx_with_email())
    assert texts(t) == ["And the order number? (it looks like #1001)"]
    t = feed(wf, t.state, Answer(text="#1001"), ctx_with_email())
    assert isinstance(t.call, RunAction)
    assert t.call.inputs == {"order_number": "#1001", "email": "ada@example.com"}
    return t


def test_support_order_found_then_wrap_up_and_survey(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    t = to_lookup(wf)
    order = {"order_name": "#1001", "fulfillment_status": "fulfilled", "tracking_links": []}
    t = feed(wf, t.state, ok(order), ctx_with_email())
    assert texts(t) == [
        "Order #1001 is fulfilled. Tracking: not available yet",
        "Is there anything else I can help with?",
    ]
    t = feed(wf, t.state, Answer(text="no"))
    assert texts(t) == ["Glad I could help! Have a good day."]
    # the survey closes the conversation once the customer rated (or did not)
    assert t.call == TriggerWorkflow(
        workflow="support-survey", variables={"topic": "order"}, depth=1
    )
    t = feed(wf, t.state, ok())
    assert t.state.status == "completed"


def test_support_offline_lookup_failure_goes_to_a_human(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    t = to_lookup(wf)
    t = feed(wf, t.state, CallResult(outcome="failure", reason="shopify is not configured"))
    assert texts(t) == ["I can't reach our order system right now, so I'll bring in a colleague."]
    assert t.call == Assign(team="support", strategy="round_robin", offer_timeout_seconds=900)
    t = feed(wf, t.state, CallResult(outcome="declined", reason="no agents"))
    assert texts(t) == [
        "Everyone is busy at the moment. We'll answer here as soon as someone is free."
    ]
    assert t.call == AddTag(tag="needs-follow-up")
    t = feed(wf, t.state, ok())
    assert t.state.status == "completed"


def test_support_after_hours_waits_for_opening_then_assigns(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    saturday = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    t = begin(wf, now=saturday)
    t = feed(wf, t.state, Answer(text="Talk to a person"), now=saturday)
    assert texts(t) == [
        "Our team is offline right now. We're back Mon 12 Jan 09:00 (Europe/Berlin) "
        "and a colleague will pick up your chat then."
    ]
    timer = t.effects[-1]
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    t = feed(wf, t.state, TimerFired(token=timer.token), now=timer.due_at)
    assert isinstance(t.call, Assign)
    t = feed(wf, t.state, ok({"agent": "grace"}), now=timer.due_at)
    assert texts(t) == ["grace will take it from here."]
    assert t.state.status == "completed"


def test_support_idle_customer_is_closed(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    t = begin(wf)
    t = feed(
        wf, t.state, TimerFired(token=t.state.timer_token or ""), now=NOW + timedelta(minutes=30)
    )
    assert texts(t) == ["I'll close this chat for now. Just write again whenever you need us."]
    assert t.call == CloseConversation()
    assert feed(wf, t.state, ok()).state.status == "completed"


def test_support_loops_back_at_most_twice_then_hands_over(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    t = begin(wf)
    t = feed(wf, t.state, Answer(text="2"))  # billing
    assert texts(t)[-1] == "Is there anything else I can help with?"
    for _ in range(2):
        t = feed(wf, t.state, Answer(text="yes"))
        assert texts(t) == ["What can I help you with?"]
        t = feed(wf, t.state, Answer(text="billing"))
    t = feed(wf, t.state, Answer(text="yes"))
    assert t.state.jumps == {"again": 2}
    assert isinstance(t.call, Assign)


def test_support_order_not_found_asks_again_once(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    t = to_lookup(wf)
    t = feed(
        wf, t.state, CallResult(outcome="declined", reason="order not found"), ctx_with_email()
    )
    assert texts(t)[-1] == "Which e-mail address did you use for the order?"
    t = feed(wf, t.state, Answer(text="ada@example.com"))
    t = feed(wf, t.state, ok(), ctx_with_email())
    t = feed(wf, t.state, Answer(text="1002"), ctx_with_email())
    t = feed(wf, t.state, CallResult(outcome="declined"), ctx_with_email())
    assert isinstance(t.call, Assign)
    assert t.state.jumps == {"retry_lookup": 1}


def test_support_invalid_topic_goes_to_a_human(flows: dict[str, Workflow]) -> None:
    wf = flows["support"]
    t = begin(wf)
    t = feed(wf, t.state, Answer(text="pizza"))
    assert texts(t) == ["Please pick one of the options (1, 2 or 3)."]
    t = feed(wf, t.state, Answer(text="pasta"))
    assert isinstance(t.call, Assign)


def test_seed_round_robin(flows: dict[str, Workflow]) -> None:
    t = begin(flows["new-conversation-round-robin"])
    assert t.call == Assign(strategy="round_robin")


def test_seed_vip_lead(flows: dict[str, Workflow]) -> None:
    wf = flows["qualified-vip-lead"]
    index = TriggerIndex(flows.values())
    event = {"type": "lead.stage_changed", "from_stage": "new", "to_stage": "qualified"}
    assert [w.name for w in index.match("lead.stage_changed", context(event=event)).matched] == [
        "qualified-vip-lead"
    ]
    small = context(event=event, lead={"id": 3, "name": "Tiny", "expected_amount": "4999.99"})
    assert index.match("lead.stage_changed", small).matched == []
    t = begin(wf)
    assert t.call == AddTag(tag="VIP")
    t = feed(wf, t.state, ok())
    notify, hook = t.effects
    assert isinstance(notify, Notify)
    assert notify.to == {"role": "sales_manager"}
    assert notify.text == "Lead Acme qualified: $7500"
    assert isinstance(hook, Webhook)
    assert hook.body == {"text": "VIP lead Acme qualified ($7500)", "lead": 3, "conversation": 11}
    assert t.state.status == "completed"


def test_seed_closed_followup(flows: dict[str, Workflow]) -> None:
    wf = flows["closed-conversation-followup"]
    index = TriggerIndex([wf])
    assert index.match("conversation.closed", context()).matched == [wf]
    short = context()
    short["conversation"]["message_count"] = 2
    assert index.match("conversation.closed", short).matched == []
    t = begin(wf)
    timer = t.effects[0]
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == NOW + timedelta(hours=24)
    t = feed(wf, t.state, TimerFired(token=timer.token), now=timer.due_at)
    assert texts(t) == ["Thanks for chatting with us! Is there anything else we can help with?"]


@pytest.mark.parametrize(("rating", "notified"), [("2", True), ("5", False)])
def test_survey(flows: dict[str, Workflow], rating: str, notified: bool) -> None:
    wf = flows["support-survey"]
    t = begin(wf, variables={"topic": "order"}, depth=1)
    t = feed(wf, t.state, Answer(text=rating))
    notes = [e for e in t.effects if isinstance(e, Notify)]
    assert bool(notes) is notified
    if notes:
        assert notes[0].text == "Ada rated support 2/5 (topic: order, conversation 11)."
    assert texts(t) == ["Thank you for the feedback, Ada!"]
    assert t.call == CloseConversation()
    t = feed(wf, t.state, ok())
    assert t.state.status == "completed"
