"""Promote an A/B test's winner: the workflow definition without its split step, every way
into the split leading to the winning branch instead. Pure: a raw definition (as stored)
in, a new raw definition out, to be validated and stored as a new version."""

from __future__ import annotations

import copy
from typing import Any

from workflows.draft_edits import EditError, falls_through, make_first, redirect
from workflows.graph import raw_step_ids
from workflows.steps.base import END


class PromotionError(ValueError):
    """The split or branch named is not there, or promoting would leave nothing to run."""


def without_split(definition: dict[str, Any], step_id: str, branch: str) -> dict[str, Any]:
    """A copy of ``definition`` with split ``step_id`` replaced by its ``branch``."""
    raw = copy.deepcopy(definition)
    steps: list[dict[str, Any]] = raw.get("steps") or []
    ids = raw_step_ids(steps)
    for step, step_ref in zip(steps, ids, strict=True):
        step.setdefault("id", step_ref)  # default ids follow positions, which change
    if step_id not in ids:
        raise PromotionError(f"no step {step_id!r}")
    index = ids.index(step_id)
    split = steps[index]
    if split.get("type") != "split":
        raise PromotionError(f"step {step_id!r} is a {split.get('type')}, not a split")
    winner = next((b for b in split.get("branches", []) if b.get("name") == branch), None)
    if winner is None:
        names = ", ".join(str(b.get("name")) for b in split.get("branches", []))
        raise PromotionError(f"split {step_id!r} has no branch {branch!r} (it has {names})")
    target = str(winner["goto"])
    if index > 0 and falls_through(steps[index - 1]):
        steps[index - 1]["next"] = target  # it fell through into the split
    try:
        for step in steps:
            redirect(step, step_id, target)
        del steps[index]
        if index == 0:
            if target == END:
                raise PromotionError("the winning branch ends the run at once: nothing would run")
            make_first(steps, target)
    except EditError as exc:
        raise PromotionError(str(exc)) from exc
    return raw
