"""A preview chat with a draft workflow, in the pure engine: what the bot would say and do,
turn by turn, with nothing sent, stored or called.

Every call is answered here: tags, stages, contact fields, assignment and closing succeed
(and show in the context the next steps see); an integration action answers from the
examples the author set (order found or not, refund approved or declined), success with
no data when none is set; another workflow is not started. Waits and timeouts can be
skipped: the clock jumps to when the timer falls due.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from workflows import engine
from workflows.effects import (
    AddTag,
    Assign,
    ChangeLeadStage,
    CloseConversation,
    Notify,
    RemoveTag,
    RunAction,
    SendMessage,
    SetContactField,
    TriggerWorkflow,
    Webhook,
)
from workflows.inputs import Answer, CallResult, TimerFired
from workflows.schema import Workflow
from workflows.state import RunState, Transition

MAX_CALLS_PER_TURN = 200


class Example(BaseModel):
    """How an integration action answers in the preview."""

    outcome: Literal["success", "declined", "failure"] = "success"
    data: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class Line:
    """One line of the preview: the bot's message, or what the run did (``note``)."""

    kind: Literal["bot", "note", "error"]
    text: str
    choices: list[str] = field(default_factory=list)
    step_id: str | None = None


@dataclass
class Turn:
    """Where the preview stands after a turn, and what the turn produced."""

    state: RunState
    ctx: dict[str, Any]
    now: datetime
    lines: list[Line]

    @property
    def can_answer(self) -> bool:
        return self.state.status == "waiting" and self.state.waiting_for == "answer"

    @property
    def can_skip(self) -> bool:
        return self.state.status == "waiting" and self.state.timer_due_at is not None


def begin(
    draft: Workflow, ctx: dict[str, Any], now: datetime, examples: dict[str, Example]
) -> Turn:
    """Start the draft for a sandbox conversation with context ``ctx``."""
    ctx = copy.deepcopy(ctx)
    return _settle(draft, engine.start(draft, ctx, now, run_id="preview"), ctx, now, examples)


def reply(
    draft: Workflow,
    turn: Turn,
    examples: dict[str, Example],
    *,
    text: str | None = None,
    payload: str | None = None,
) -> Turn:
    """The visitor writes ``text`` (or presses the button with ``payload``)."""
    ctx = copy.deepcopy(turn.ctx)
    ctx["message"] = {
        "text": text or "",
        "payload": payload,
        "kind": "button" if payload else "text",
    }
    answer = Answer(text=text, payload=payload, message_id="preview")
    transition = engine.advance(draft, turn.state, answer, ctx, turn.now)
    return _settle(draft, transition, ctx, turn.now, examples)


def skip_wait(draft: Workflow, turn: Turn, examples: dict[str, Example]) -> Turn:
    """Jump the clock to the run's timer and fire it."""
    due, token = turn.state.timer_due_at, turn.state.timer_token
    if due is None or token is None:
        return Turn(turn.state, turn.ctx, turn.now, [Line("note", "nothing to skip: no wait")])
    now = max(turn.now, due)
    transition = engine.advance(draft, turn.state, TimerFired(token=token), turn.ctx, now)
    turn = _settle(draft, transition, copy.deepcopy(turn.ctx), now, examples)
    turn.lines.insert(0, Line("note", f"skipped to {due:%Y-%m-%d %H:%M} UTC"))
    return turn


def _settle(
    draft: Workflow,
    transition: Transition,
    ctx: dict[str, Any],
    now: datetime,
    examples: dict[str, Example],
) -> Turn:
    """Answer the transition's calls until the run rests; what it said and did, in order."""
    lines: list[Line] = []
    for _ in range(MAX_CALLS_PER_TURN):
        lines.extend(_said(transition))
        call = transition.call
        if call is None:
            break
        result, note = _answer(call, ctx, examples)
        lines.append(Line("note", note, step_id=transition.state.cursor))
        transition = engine.advance(draft, transition.state, result, ctx, now)
    else:
        lines.append(Line("error", f"stopped after {MAX_CALLS_PER_TURN} calls in one turn"))
    state = transition.state
    if state.status == "failed":
        lines.append(Line("error", f"the run failed: {state.error}"))
    elif state.status == "completed":
        lines.append(Line("note", "the run is complete"))
    elif state.timer_due_at is not None:
        lines.append(Line("note", f"waiting until {state.timer_due_at:%Y-%m-%d %H:%M} UTC"))
    return Turn(state, ctx, now, lines)


def _said(transition: Transition) -> list[Line]:
    lines = []
    for effect in transition.effects:
        if isinstance(effect, SendMessage):
            text = effect.text
            if effect.ai is not None:
                text = effect.ai.fallback or f"(an AI-written reply: {effect.ai.instructions})"
            elif effect.template is not None and not text:
                text = f"(template {effect.template.content_sid})"
            if effect.media_url:
                text = f"{text}\n[{effect.media_url}]".strip()
            lines.append(Line("bot", text, [c.label for c in effect.choices], effect.step_id))
        elif isinstance(effect, Notify):
            who = ", ".join(f"{k} {v}" for k, v in effect.to.items())
            lines.append(
                Line("note", f"would notify {who} by {', '.join(effect.via)}: {effect.text}")
            )
        elif isinstance(effect, Webhook):
            lines.append(
                Line("note", f"would call the webhook {effect.url}", step_id=effect.step_id)
            )
    for entry in transition.log:
        if entry.kind == "error":
            lines.append(Line("error", entry.message, step_id=entry.step_id))
    return lines


def _answer(call: Any, ctx: dict[str, Any], examples: dict[str, Example]) -> tuple[CallResult, str]:
    """The call's result in the sandbox and a line saying what would have happened."""
    conversation = ctx.setdefault("conversation", {}) or {}
    ctx["conversation"] = conversation
    if isinstance(call, AddTag | RemoveTag):
        tags = list(conversation.get("tags") or [])
        if isinstance(call, AddTag):
            tags = [*tags, call.tag] if call.tag not in tags else tags
        else:
            tags = [t for t in tags if t != call.tag]
        conversation["tags"] = tags
        verb = "added" if isinstance(call, AddTag) else "removed"
        return CallResult(outcome="success"), f"tag {call.tag} {verb}"
    if isinstance(call, ChangeLeadStage):
        lead = ctx.get("lead") or {}
        ctx["lead"] = {**lead, "stage": call.stage}
        return CallResult(outcome="success"), f"lead moved to {call.stage}"
    if isinstance(call, SetContactField):
        contact = ctx.get("contact") or {}
        ctx["contact"] = {**contact, call.field: call.value}
        return CallResult(outcome="success"), f"contact {call.field} set to {call.value!r}"
    if isinstance(call, Assign):
        who = call.agent or call.team or call.ai_agent or call.strategy or "an agent"
        conversation["assignee"] = call.agent or call.team
        return CallResult(outcome="success", data={"agent": who}), f"would assign to {who}"
    if isinstance(call, CloseConversation):
        conversation["status"] = "closed"
        return CallResult(outcome="success"), "would close the conversation"
    if isinstance(call, RunAction):
        example = examples.get(call.action)
        if example is None:
            return (
                CallResult(outcome="success"),
                f"{call.action}: no example set, answered success with no data",
            )
        note = f"{call.action}: {example.outcome} (example)"
        return CallResult(outcome=example.outcome, data=example.data, reason=example.reason), note
    if isinstance(call, TriggerWorkflow):
        return CallResult(outcome="success"), f"would start the workflow {call.workflow}"
    return CallResult(outcome="failure", reason="unknown call"), f"unknown call {call!r}"
