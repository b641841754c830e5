"""Action calls held until a person clears them: the customer's confirmation, an agent's approval.

An action asks for a hold by answering ``declined`` with ``data["pending"]``, a mapping with
``kind`` (``confirmation`` or ``approval``), ``context_key``, ``summary`` ("refund 12.50 USD
of pi_1"), and optionally ``question`` (for the customer), ``timeout_s`` and ``details``
(label -> value, shown to the approving agent). A runner that knows nothing of holds takes
``declined``, which is the safe default.

The runner keeps the run waiting for ``confirmation`` or ``approval`` (stored, with a timer),
and calls the action again with ``ctx.context[context_key] = grant`` once cleared: the
pending mapping plus ``granted: True`` and ``by``. A no, a rejection, the timeout, or no way
to ask gives the step ``declined`` with ``data`` = ``{safeguard, decision, by}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from workflows.answers import check_answer
from workflows.effects import RunAction
from workflows.inputs import CallResult
from workflows.message_parts import Choice

HoldKind = Literal["confirmation", "approval"]
Decision = Literal["no", "unclear", "undelivered", "rejected", "timeout", "unavailable"]
Outcome = Literal["approved", "rejected", "expired", "unavailable"]

HOLD_TIMER = "run.hold"
"""Timer kind of a hold's time limit."""
APPROVAL = "approval"
"""Outbox kind of approval requests and their updates (delivered by the Slack console)."""
APPROVAL_POSTED = "approval.posted"
"""Event: the approval request is in Slack (``run_id``, ``key``, ``channel``, ``ts``)."""
APPROVAL_DECIDED = "approval.decided"
"""Event: an agent pressed Approve or Reject (``run_id``, ``key``, ``approve``, ``by``, ``by_name``)."""
HOLD_EVENTS = frozenset({APPROVAL_POSTED, APPROVAL_DECIDED})
YES_NO = [Choice(label="Yes", value="yes"), Choice(label="No", value="no")]
MAX_ATTEMPTS = 3
DEFAULT_TIMEOUT_S = 1800.0


class Requested(BaseModel):
    """What an action's ``data["pending"]`` asks the runner to clear."""

    kind: HoldKind
    context_key: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    question: str | None = None
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0)
    details: dict[str, str] = Field(default_factory=dict)


class SlackMessage(BaseModel):
    """Where an approval request was posted."""

    channel: str
    ts: str


class Hold(BaseModel):
    """A call the run waits to be cleared (stored in the run's envelope)."""

    kind: HoldKind
    key: str = Field(description="the action's idempotency key; names the hold in Slack and events")
    context_key: str
    summary: str
    question: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    pending: dict[str, Any]
    token: str
    due_at: datetime
    attempts: int = 0
    message: SlackMessage | None = None


class Grants(BaseModel):
    """Safeguards cleared for one call (its action key): context key -> grant."""

    call_key: str
    records: dict[str, dict[str, Any]] = Field(default_factory=dict)


class LastApproval(BaseModel):
    """How the run's latest approval ended, to update a request that reached Slack late."""

    key: str
    outcome: Outcome
    by: str | None = None
    reason: str
    summary: str
    details: dict[str, str] = Field(default_factory=dict)


def action_key(call: RunAction) -> str:
    """The idempotency key an action sees for ``call`` (stable across retries and re-calls)."""
    return f"relaybot-{call.idempotency_key}"


def requested(result: CallResult) -> Requested | None:
    """The hold a declined result asks for, or None (a plain decline, or a malformed request)."""
    raw = result.data.get("pending") if result.outcome == "declined" else None
    if not isinstance(raw, Mapping):
        return None
    try:
        return Requested.model_validate(raw)
    except ValidationError:
        return None


def new_hold(
    request: Requested, pending: Mapping[str, Any], *, key: str, token: str, due_at: datetime
) -> Hold:
    return Hold(
        kind=request.kind,
        key=key,
        context_key=request.context_key,
        summary=request.summary,
        question=request.question,
        details=request.details,
        pending=dict(pending),
        token=token,
        due_at=due_at,
    )


def grant(hold: Hold, *, by: str) -> dict[str, Any]:
    """The record the action finds under ``ctx.context[hold.context_key]`` once cleared."""
    return {**hold.pending, "granted": True, "by": by}


def question_text(hold: Hold) -> str:
    """What the customer is asked: the action's question, else "Refund 12.50 USD of pi_1?"."""
    if hold.question:
        return hold.question
    return f"{hold.summary[:1].upper()}{hold.summary[1:]}?"


def yes_or_no(text: str | None, payload: str | None) -> bool | None:
    """True for yes, False for no, None when the answer is neither."""
    checked = check_answer("yes_no", text, payload, YES_NO, None)
    return bool(checked.value) if checked.ok else None


def declined(
    kind: HoldKind, summary: str, decision: Decision, reason: str, by: str | None = None
) -> CallResult:
    """The step's result when a safeguard is not cleared."""
    return CallResult(
        outcome="declined",
        reason=reason,
        data={"safeguard": kind, "decision": decision, "by": by, "summary": summary},
    )
