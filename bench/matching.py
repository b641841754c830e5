"""The cost of matching one event against 1, 100 and 1,000 enabled workflows.

    .venv/bin/python bench/matching.py

Prints JSON: microseconds per match for each count. Half of the workflows listen to
the event (with a condition each), half to other events, as in a real install.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from workflows.loader import parse_data
from workflows.schema import Workflow
from workflows.triggers import TriggerIndex

OTHER_EVENTS = ["conversation.closed", "tag.added", "lead.created", "visitor.idle"]


def workflow(number: int) -> Workflow:
    listens = number % 2 == 0
    data: dict[str, Any] = {
        "name": f"wf-{number}",
        "trigger": {"event": "message.received" if listens else OTHER_EVENTS[number % 4]},
        "conditions": {"all": [{"field": "conversation.message_count", "op": "gte", "value": number % 7}]},
        "steps": [{"type": "add_tag", "tag": f"t{number}"}],
    }
    parsed, problems = parse_data(data, source="bench")
    assert parsed is not None, problems
    return parsed


CTX = {
    "conversation": {"channel": "telegram", "tags": ["VIP"], "message_count": 4},
    "contact": {"name": "Ada"},
    "lead": {"expected_amount": Decimal("6000")},
    "message": {"text": "where is my order"},
    "event": {"type": "message.received"},
}


def measure(count: int, repeat: int) -> dict[str, Any]:
    index = TriggerIndex(workflow(i) for i in range(count))
    index.match("message.received", CTX)
    started = time.perf_counter()
    for _ in range(repeat):
        report = index.match("message.received", CTX)
    elapsed = time.perf_counter() - started
    return {
        "workflows": count,
        "listening": len(index.listening("message.received")),
        "matched": len(report.matched),
        "microseconds_per_event": round(elapsed / repeat * 1e6, 2),
    }


def main() -> None:
    results = [measure(count, repeat) for count, repeat in ((1, 20000), (100, 2000), (1000, 200))]
    print(json.dumps({"benchmark": "trigger matching", "results": results}))


if __name__ == "__main__":
    main()
