"""The run_action contract: named actions with templated inputs and three outcomes.

Integrations (``integrations/``) register their actions here; third-party packages can
add more through the ``relaybot.actions`` entry point group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

Outcome = Literal["success", "declined", "failure"]


class ActionResult(BaseModel):
    """What an action did: its outcome, the data saved to the run, and why (for the log)."""

    outcome: Outcome
    data: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class ActionContext:
    """What an action may know about the run that called it."""

    run_id: int
    step_id: str
    idempotency_key: str
    context: dict[str, Any] = field(default_factory=dict)
    services: Any = None


Action = Callable[[dict[str, Any], ActionContext], Awaitable[ActionResult]]


class DuplicateActionError(ValueError):
    """An action with this name is already registered."""


class ActionRegistry:
    """Name -> action; refuses duplicates."""

    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def register(self, name: str, action: Action) -> None:
        if name in self._actions:
            raise DuplicateActionError(f"action {name!r} is already registered")
        self._actions[name] = action

    def get(self, name: str) -> Action | None:
        return self._actions.get(name)

    def names(self) -> list[str]:
        return sorted(self._actions)
