"""The plain values the agents' console reads and writes: agents, conversations, workflows,
run logs, approval verdicts, threads and stored Slack requests.

Repositories hand these out instead of ORM rows; the console's ports
(:mod:`integrations.slack.ports`) are written in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ConversationStatus = Literal["open", "pending", "closed"]
RunStatus = Literal["running", "waiting", "completed", "failed", "cancelled"]


@dataclass(frozen=True)
class AgentRef:
    """An agent as the console sees them."""

    id: str
    name: str
    slack_user_id: str | None = None
    email: str | None = None
    available: bool = True


@dataclass(frozen=True)
class ConversationSummary:
    """One conversation, flattened for a header message or a list line."""

    id: str
    channel: str
    customer_name: str
    status: ConversationStatus = "open"
    assignee_name: str | None = None
    assignee_slack_id: str | None = None
    tags: tuple[str, ...] = ()
    lead_name: str | None = None
    lead_stage: str | None = None
    team: str | None = None
    last_message: str | None = None


@dataclass(frozen=True)
class WorkflowSummary:
    """A stored workflow as a list line."""

    name: str
    enabled: bool
    trigger: str
    version: int = 1
    description: str | None = None


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a run, with the value it was compared against."""

    field: str
    op: str
    expected: object
    actual: object
    result: bool


@dataclass(frozen=True)
class StepLog:
    """One executed step of a run."""

    id: str
    type: str
    exit: str | None = None
    duration_ms: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class RunLogView:
    """A workflow run, ready to be read by a human."""

    run_id: str
    workflow: str
    status: RunStatus
    trigger_event: str
    conversation_id: str | None = None
    started_at: str | None = None
    conditions: tuple[ConditionCheck, ...] = ()
    steps: tuple[StepLog, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Verdict:
    """What an agent who pressed Approve or Reject is told; ``recorded`` when it counts."""

    recorded: bool
    text: str


@dataclass(frozen=True)
class ThreadRef:
    """Where a conversation's thread lives in Slack."""

    channel: str
    thread_ts: str


@dataclass(frozen=True)
class SlackRequest:
    """A signed Slack request as it arrived, kept under its key until its work is done."""

    key: str
    content_type: str
    body: str
    attempts: int = 0
