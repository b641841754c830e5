"""Shared helpers for driving workflows through start/advance in tests."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import Any

from workflows import engine
from workflows.inputs import CallResult, RunInput
from workflows.loader import load_text
from workflows.schema import Workflow
from workflows.state import RunState, Transition

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday


def workflow(body: str, *, trigger: str = "{event: conversation.created}") -> Workflow:
    """A workflow from YAML steps (indented list under `steps:`)."""
    text = f"name: test\ntrigger: {trigger}\nsteps:\n" + textwrap.indent(
        textwrap.dedent(body).strip("\n"), "  "
    )
    return load_text(text)


def context(**overrides: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "contact": {"id": 7, "name": "Ada", "email": None},
        "conversation": {
            "id": 11,
            "channel": "whatsapp",
            "status": "open",
            "tags": ["new"],
            "message_count": 4,
            "assignee": None,
            "team": None,
            "created_at": "2026-01-05T09:00:00+00:00",
        },
        "lead": {"id": 3, "name": "Acme", "stage": "qualified", "expected_amount": 7500},
        "message": {"text": "hello", "payload": None, "kind": "text"},
        "event": {"type": "conversation.created"},
        "vars": {},
    }
    ctx.update(overrides)
    return ctx


def begin(definition: Workflow, ctx: dict[str, Any] | None = None, **kwargs: Any) -> Transition:
    return engine.start(definition, ctx or context(), kwargs.pop("now", NOW), run_id="r1", **kwargs)


def feed(
    definition: Workflow,
    state: RunState,
    run_input: RunInput,
    ctx: dict[str, Any] | None = None,
    now: datetime = NOW,
) -> Transition:
    return engine.advance(definition, state, run_input, ctx or context(), now)


def ok(data: dict[str, Any] | None = None) -> CallResult:
    return CallResult(outcome="success", data=data or {})


def steps_logged(transition: Transition) -> list[str]:
    return [entry.step_id or "" for entry in transition.log if entry.kind == "step"]


def exits_logged(transition: Transition) -> list[str | None]:
    return [entry.data.get("exit") for entry in transition.log if entry.kind == "step"]
