"""Run state (stored as JSON), log entries and the transition the engine returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from workflows.effects import Call, Effect

RunStatus = Literal["running", "waiting", "calling", "completed", "failed", "cancelled"]
WaitingFor = Literal["answer", "timer", "assignment"]
FINISHED: frozenset[str] = frozenset({"completed", "failed", "cancelled"})

MAX_STEPS_PER_ACTIVATION = 100
MAX_DEPTH = 5


class RunState(BaseModel):
    """Where a run is. ``cursor`` is the id of the step it is at (None once it ended)."""

    workflow: str
    run_id: str = ""
    cursor: str | None = None
    status: RunStatus = "running"
    waiting_for: WaitingFor | None = None
    attempts: int = 0
    jumps: dict[str, int] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict)
    timer_token: str | None = None
    timer_due_at: datetime | None = None
    depth: int = 0
    steps_this_activation: int = 0
    steps_total: int = 0
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class LogEntry(BaseModel):
    """One line of the run log."""

    kind: Literal["step", "condition", "error", "info", "input"]
    step_id: str | None = None
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class Transition(BaseModel):
    """What one start/advance produced: persist ``state``, ``effects`` and ``log`` together,
    then perform ``call`` (present exactly when ``state.status == "calling"``)."""

    state: RunState
    effects: list[Effect] = Field(default_factory=list)
    call: Call | None = None
    log: list[LogEntry] = Field(default_factory=list)
