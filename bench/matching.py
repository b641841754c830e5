"""The cost of matching one event against 1, 100 and 1,000 enabled workflows.

    .venv/bin/python bench/matching.py

Prints JSON: microseconds per event for each count, in two mixes. "spread": the
workflows listen to the ten trigger events evenly (a tenth listen to this one), which
is what the index by event type is for. "half": half listen to this very event, each
with a condition to evaluate: the cost then grows with the listeners, as it must.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from workflows.loader import parse_data
from workflows.schema import Workflow
from workflows.triggers import TriggerIndex

OTHER_EVENTS = [
    "conversation.created",
    "conversation.assigned",
    "conversation.closed",
    "tag.added",
    "lead.created",
    "lead.stage_changed",
    "visitor.rage_click",
    "visitor.idle",
    "visitor.form_frustration",
]


def workflow(number: int, mix: str) -> Workflow:
    listens = number % 2 == 0 if mix == "half" else number % 10 == 0
    data: dict[str, Any] = {
        "name": f"wf-{number}",
        "trigger": {"event": "message.received" if listens else OTHER_EVENTS[number % 9]},
        "conditions": {
            "all": [{"field": "conversation.message_count", "op": "gte", "value": number % 7}]
        },
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


def measure(count: int, repeat: int, mix: str) -> dict[str, Any]:
    index = TriggerIndex(workflow(i, mix) for i in range(count))
    index.match("message.received", CTX)
    started = time.perf_counter()
    for _ in range(repeat):
        report = index.match("message.received", CTX)
    elapsed = time.perf_counter() - started
    return {
        "mix": mix,
        "workflows": count,
        "listening": len(index.listening("message.received")),
        "matched": len(report.matched),
        "microseconds_per_event": round(elapsed / repeat * 1e6, 2),
    }


def main() -> None:
    results = [
        measure(count, repeat, mix)
        for mix in ("spread", "half")
        for count, repeat in ((1, 20000), (100, 2000), (1000, 200))
    ]
    print(json.dumps({"benchmark": "trigger matching", "results": results}))


if __name__ == "__main__":
    main()
