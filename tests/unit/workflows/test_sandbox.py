"""The preview chat: a draft answers turn by turn in the pure engine; actions answer from
the examples set, waits can be skipped, and nothing leaves the sandbox."""

from __future__ import annotations

from pathlib import Path

from workflows.loader import load_file
from workflows.sandbox import Example, begin, reply, skip_wait

from .helpers import NOW, context, workflow

ORDER_STATUS = Path(__file__).resolve().parents[3] / "examples" / "workflows" / "order-status.yaml"
FOUND = Example(
    outcome="success",
    data={
        "order_name": "#1001",
        "status": "open",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "tracking_links": ["https://track.example/1"],
    },
)


def _bot(turn: object) -> list[str]:
    return [line.text for line in turn.lines if line.kind == "bot"]  # type: ignore[attr-defined]


def test_an_order_found_in_the_example_is_told_with_its_tracking() -> None:
    draft = load_file(ORDER_STATUS)
    turn = begin(draft, context(), NOW, {"shopify.order_lookup": FOUND})
    assert _bot(turn) == [
        "I can check that for you. Which e-mail address did you use for the order?"
    ]
    assert turn.can_answer
    turn = reply(draft, turn, {"shopify.order_lookup": FOUND}, text="ada@example.com")
    assert turn.ctx["contact"]["email"] == "ada@example.com"
    turn = reply(draft, turn, {"shopify.order_lookup": FOUND}, text="#1001")
    assert _bot(turn) == [
        "Order #1001 is open: payment paid, shipping fulfilled.",
        "Track it here: https://track.example/1",
    ]
    notes = [line.text for line in turn.lines if line.kind == "note"]
    assert "shopify.order_lookup: success (example)" in notes
    assert turn.state.status == "completed"


def test_an_order_not_found_takes_the_declined_exit() -> None:
    draft = load_file(ORDER_STATUS)
    examples = {"shopify.order_lookup": Example(outcome="declined", reason="no such order")}
    turn = begin(draft, context(), NOW, examples)
    turn = reply(draft, turn, examples, text="ada@example.com")
    turn = reply(draft, turn, examples, text="#1002")
    assert (
        _bot(turn)[0]
        == "I couldn't find order #1002 for ada@example.com. Let's check the details once more."
    )
    assert turn.can_answer  # asked for the e-mail again


def test_a_wait_can_be_skipped_and_the_timeout_path_runs() -> None:
    draft = load_file(ORDER_STATUS)
    turn = begin(draft, context(), NOW, {})
    assert turn.can_skip
    turn = skip_wait(draft, turn, {})
    assert turn.lines[0].text == "skipped to 2026-01-05 10:30 UTC"
    assert _bot(turn) == ["No problem, just write again whenever you have the order details."]
    assert turn.now > NOW


def test_calls_show_what_would_happen_and_change_what_later_steps_see() -> None:
    draft = workflow(
        """
        - {type: add_tag, tag: vip}
        - id: check
          type: branch
          cases:
            - when: {field: conversation.tags, op: contains, value: vip}
              goto: yes
          else: no
        - {id: yes, type: send_message, text: "VIP!", next: end}
        - {id: no, type: send_message, text: "Hello"}
        """
    )
    turn = begin(draft, context(), NOW, {})
    assert [line.text for line in turn.lines] == ["tag vip added", "VIP!", "the run is complete"]
    assert "vip" in turn.ctx["conversation"]["tags"]


def test_an_action_without_an_example_answers_success_and_says_so() -> None:
    draft = workflow("- {type: run_action, action: shopify.order_lookup, inputs: {}}")
    turn = begin(draft, context(), NOW, {})
    assert (
        turn.lines[0].text == "shopify.order_lookup: no example set, answered success with no data"
    )
