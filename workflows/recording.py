"""What a run was given, kept in its log so that another version of its workflow can be
replayed against it later (:mod:`workflows.replay`): the context and time it started with,
and each input fed to it with the context and time of that moment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workflows.values import json_safe

RECORD = "replay"
"""The key of a run log line's data that holds what the run was given."""


def recorded_start(
    ctx: Mapping[str, Any], now: datetime, variables: Mapping[str, Any], depth: int
) -> dict[str, Any]:
    """What a run starts with, for its first log line."""
    return {
        "ctx": json_safe(dict(ctx)),
        "now": now.isoformat(),
        "variables": json_safe(dict(variables)),
        "depth": depth,
    }


def recorded_input(
    run_input: Any, ctx: Mapping[str, Any], now: datetime, step_id: str | None
) -> dict[str, Any]:
    """One input fed to a run, with the context and time of that moment and the step the
    run was at."""
    return {
        "input": run_input.model_dump(mode="json"),
        "ctx": json_safe(dict(ctx)),
        "now": now.isoformat(),
        "at_step": step_id,
    }


def input_summary(run_input: Any) -> str:
    """The input's line in the run log: what came, without the customer's words."""
    kind = str(getattr(run_input, "kind", "input")).replace("_", " ")
    outcome = getattr(run_input, "outcome", None)
    return f"{kind}: {outcome}" if outcome else kind
