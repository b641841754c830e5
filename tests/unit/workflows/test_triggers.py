from __future__ import annotations

from typing import Any

import pytest

from workflows.event_names import TRIGGER_EVENTS
from workflows.loader import load_text
from workflows.problems import WorkflowLoadError
from workflows.schema import Workflow
from workflows.triggers import TriggerIndex

from .helpers import context


def wf(name: str, trigger: str, conditions: str = "", enabled: bool = True) -> Workflow:
    text = (
        f"name: {name}\nenabled: {str(enabled).lower()}\ntrigger: {trigger}\n"
        f"{conditions}steps: [{{type: close_conversation}}]\n"
    )
    return load_text(text)


@pytest.mark.parametrize("event", sorted(TRIGGER_EVENTS))
def test_every_trigger_event_matches_its_workflows(event: str) -> None:
    index = TriggerIndex([wf("mine", f"{{event: {event}}}"), wf("other", "{event: tag.added}")])
    report = index.match(event, context(event={"type": event}))
    names = [w.name for w in report.matched]
    assert "mine" in names
    assert ("other" in names) is (event == "tag.added")


def event_ctx(**event: Any) -> dict[str, Any]:
    return context(event=event)


def test_stage_filters() -> None:
    index = TriggerIndex(
        [wf("q", "{event: lead.stage_changed, from_stage: new, to_stage: qualified}")]
    )
    assert index.match(
        "lead.stage_changed", event_ctx(from_stage="new", to_stage="Qualified")
    ).matched
    report = index.match("lead.stage_changed", event_ctx(from_stage="new", to_stage="won"))
    assert report.matched == []
    assert report.skipped[0].reason == "to_stage is 'won', not 'qualified'"


def test_tag_and_channel_filters() -> None:
    index = TriggerIndex([wf("t", "{event: tag.added, tag: VIP, channel: [whatsapp, telegram]}")])
    assert index.match("tag.added", event_ctx(tag="vip")).matched
    assert not index.match("tag.added", event_ctx(tag="new")).matched
    ctx = event_ctx(tag="VIP")
    ctx["conversation"]["channel"] = "widget"
    assert "channel is 'widget'" in index.match("tag.added", ctx).skipped[0].reason


def test_text_filters() -> None:
    index = TriggerIndex(
        [
            wf("refund", "{event: message.received, text_contains: REFUND}"),
            wf("order", "{event: message.received, text_matches: '#\\d{4}'}"),
        ]
    )
    ctx = context(message={"text": "I want a refund for #1234", "kind": "text"})
    assert [w.name for w in index.match("message.received", ctx).matched] == ["refund", "order"]
    ctx = context(message={"text": "hello", "kind": "text"})
    reasons = [s.reason for s in index.match("message.received", ctx).skipped]
    assert reasons == [
        "message text does not contain 'REFUND'",
        "message text does not match '#\\\\d{4}'",
    ]


def test_conditions_and_disabled_workflows_are_reported() -> None:
    index = TriggerIndex(
        [
            wf(
                "vip",
                "{event: conversation.closed}",
                "conditions: {all: [{field: conversation.message_count, op: gte, value: 10}]}\n",
            ),
            wf("off", "{event: conversation.closed}", enabled=False),
        ]
    )
    report = index.match("conversation.closed", context())
    assert report.matched == []
    by_name = {s.workflow: s for s in report.skipped}
    assert by_name["off"].reason == "disabled"
    assert by_name["vip"].reason == "conditions false"
    assert by_name["vip"].checks[0].actual == 4


def test_only_workflows_listening_to_the_event_are_looked_at() -> None:
    many = [wf(f"w{i}", "{event: lead.created}") for i in range(1000)]
    index = TriggerIndex([*many, wf("one", "{event: visitor.idle}")])
    report = index.match("visitor.idle", context())
    assert [w.name for w in report.matched] == ["one"]
    assert report.skipped == []
    assert len(index.listening("lead.created")) == 1000


def test_higher_priority_starts_first_and_an_exclusive_one_claims_the_event() -> None:
    index = TriggerIndex(
        [
            wf("menu", "{event: message.received}\npriority: -5"),
            wf("tagger", "{event: message.received}"),
            wf(
                "order",
                "{event: message.received, text_contains: order}\npriority: 10\nexclusive: true",
            ),
            wf("refund", "{event: message.received, text_contains: refund}\npriority: 20"),
            wf("notes", "{event: message.received}"),
        ]
    )
    ctx = context(message={"text": "refund my order", "kind": "text"})
    report = index.match("message.received", ctx)
    assert [w.name for w in report.matched] == ["refund", "order"]
    assert [(s.workflow, s.reason) for s in report.skipped] == [
        ("tagger", "order took the event (exclusive, priority 10)"),
        ("notes", "order took the event (exclusive, priority 10)"),
        ("menu", "order took the event (exclusive, priority 10)"),
    ]
    # an exclusive workflow that does not match claims nothing; equal priorities keep their order
    report = index.match("message.received", context(message={"text": "hello", "kind": "text"}))
    assert [w.name for w in report.matched] == ["tagger", "notes", "menu"]
    assert "took the event" not in " ".join(s.reason for s in report.skipped)


@pytest.mark.parametrize("priority", ["'high'", "1001", "-1001", "true", "1.5"])
def test_priority_must_be_a_whole_number_within_bounds(priority: str) -> None:
    assert wf("p", "{event: message.received}\npriority: -1000").priority == -1000
    with pytest.raises(WorkflowLoadError, match="priority: Input should be"):
        wf("p", f"{{event: message.received}}\npriority: {priority}")
