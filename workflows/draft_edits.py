"""Edits of a workflow's YAML text made on its graph: add, remove, connect, move and set a
step. Pure: YAML text in, YAML text out, read and written with ruamel.yaml's round trip so
comments and key order stay; the result is validated like any text (it may have problems).

Where a step goes when no exit says otherwise is its ``next`` or, without one, the step
after it in the list (its fall-through). Edits that change positions write the ids and the
fall-throughs that would change as explicit ``id`` and ``next`` keys, so runs go where they
went."""

from __future__ import annotations

import io
from collections.abc import Mapping, MutableMapping, MutableSequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from workflows.graph import raw_step_ids
from workflows.registry import STEPS
from workflows.steps.base import END

NEXT = "next"
"""The outcome name of where a step goes by default (``connect(..., "next", ...)``)."""


class EditError(ValueError):
    """The edit cannot be made: an unknown step or outcome, or a result that would be
    ambiguous (the message says which)."""


def add_step(
    text: str, step: dict[str, Any], after: str | None = None, exit: str | None = None
) -> str:
    """``step`` added after step ``after`` (first when None): it takes the place ``after``
    went by default, or, with ``exit``, the place that exit went (added at the end)."""
    doc, steps = _read(text)
    ids = _name_all(steps)
    new = _new_step(step, ids)
    if after is None:
        if exit is not None:
            raise EditError("an exit needs the step it leaves from (after)")
        steps.insert(0, new)
        return _write(doc)
    index = _index(ids, after)
    source = steps[index]
    if exit is None:
        if NEXT in source:
            new.setdefault(NEXT, source.pop(NEXT))
        steps.insert(index + 1, new)
        return _write(doc)
    _check_outcome(source, exit)
    exits = source.get("exits")
    old = exits.get(exit) if isinstance(exits, dict) else None
    onward = old if isinstance(old, str) else _default_target(steps, ids, index)
    if onward != END:
        new.setdefault(NEXT, onward)
    if falls_through(steps[-1]):
        steps[-1][NEXT] = END  # the last step ended the run: the new one must not change that
    steps.append(new)
    if not isinstance(exits, dict):
        exits = source["exits"] = CommentedMap()
    exits[exit] = new["id"]
    return _write(doc)


def remove_step(text: str, step_id: str) -> str:
    """Step ``step_id`` removed; every way into it now goes where it went by default."""
    doc, steps = _read(text)
    ids = _name_all(steps)
    index = _index(ids, step_id)
    gone = steps[index]
    onward = _default_target(steps, ids, index)
    others = sorted({t for _, t in _references(gone)} - {onward})
    following = ids[index + 1] if index + 1 < len(ids) else END
    led_into = index == 0 or falls_through(steps[index - 1])
    referred = led_into or any(t == step_id for s in steps for _, t in _references(s))
    if others and referred:
        raise EditError(
            f"step {step_id!r} goes to {', '.join(others)} as well as {onward}: connect the "
            "steps that lead to it elsewhere first, then remove it"
        )
    for other in steps:
        redirect(other, step_id, onward)
    if index > 0 and onward != following and falls_through(steps[index - 1]):
        steps[index - 1][NEXT] = onward
    del steps[index]
    if index == 0 and steps and onward != following:
        if onward == END:
            raise EditError(f"without {step_id!r} every run would end at once")
        make_first(steps, onward)
    return _write(doc)


def connect(text: str, step_id: str, outcome: str, target: str) -> str:
    """Exit ``outcome`` of step ``step_id`` (or its ``next``) now goes to ``target``
    (a step id or ``end``)."""
    doc, steps = _read(text)
    ids = raw_step_ids(steps)
    step = steps[_index(ids, step_id)]
    if target != END and target not in ids:
        raise EditError(f"no step {target!r} to connect to (a step id or {END!r})")
    if outcome == NEXT:
        step[NEXT] = target
        return _write(doc)
    _check_outcome(step, outcome)
    exits = step.get("exits")
    if not isinstance(exits, dict):
        exits = step["exits"] = CommentedMap()
    exits[outcome] = target
    return _write(doc)


def move_step(text: str, step_id: str, index: int) -> str:
    """Step ``step_id`` moved to position ``index`` (0 is first: where runs begin); every
    step still goes where it went."""
    doc, steps = _read(text)
    ids = _name_all(steps)
    if not 0 <= index < len(steps):
        raise EditError(f"position {index} is outside 0..{len(steps) - 1}")
    before = {ids[i]: _default_target(steps, ids, i) for i in range(len(steps))}
    steps.insert(index, steps.pop(_index(ids, step_id)))
    moved = [str(step["id"]) for step in steps]
    for position, step in enumerate(steps):
        following = moved[position + 1] if position + 1 < len(moved) else END
        if falls_through(step) and before[moved[position]] != following:
            step[NEXT] = before[moved[position]]
    return _write(doc)


def set_step(text: str, step_id: str, fields: dict[str, Any]) -> str:
    """Step ``step_id``'s fields replaced by ``fields`` (its id stays); keys kept keep their
    place and comments."""
    doc, steps = _read(text)
    ids = raw_step_ids(steps)
    step = steps[_index(ids, step_id)]
    if not isinstance(step, CommentedMap):
        steps[ids.index(step_id)] = step = CommentedMap()
    wanted = {key: value for key, value in fields.items() if key != "id"}
    for key in [key for key in step if key != "id" and key not in wanted]:
        del step[key]
    if "id" in step:
        step["id"] = step_id
    for key, value in wanted.items():
        if step.get(key) != value:
            step[key] = value
    return _write(doc)


def _yaml() -> YAML:
    handler = YAML()
    handler.preserve_quotes = True
    handler.indent(mapping=2, sequence=4, offset=2)
    handler.width = 4096
    return handler


def _read(text: str) -> tuple[CommentedMap, CommentedSeq]:
    try:
        doc = _yaml().load(text)
    except YAMLError as exc:
        raise EditError(f"the YAML cannot be read: {exc}") from exc
    if not isinstance(doc, CommentedMap):
        raise EditError("a workflow file is a mapping (name, trigger, steps)")
    steps = doc.get("steps")
    if steps is None:
        steps = doc["steps"] = CommentedSeq()
    if not isinstance(steps, CommentedSeq):
        raise EditError("steps must be a list")
    return doc, steps


def _write(doc: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def _name_all(steps: CommentedSeq) -> list[str]:
    """Give every step its id explicitly (generated ids follow positions, which change)."""
    ids = raw_step_ids(steps)
    for position, (step, step_id) in enumerate(zip(steps, ids, strict=True)):
        if not isinstance(step, CommentedMap):
            raise EditError(f"step {step_id!r} is not a mapping of fields")
        if step.get("id") != step_id:
            step.insert(0, "id", step_id)
        steps[position] = step
    return ids


def _index(ids: list[str], step_id: str) -> int:
    if step_id not in ids:
        raise EditError(f"no step {step_id!r} (the steps: {', '.join(ids) or 'none'})")
    return ids.index(step_id)


def _new_step(step: dict[str, Any], ids: list[str]) -> CommentedMap:
    kind = step.get("type")
    if not isinstance(kind, str) or STEPS.get(kind) is None:
        raise EditError(f"unknown step type {kind!r}; one of: {', '.join(STEPS.names())}")
    wanted = step.get("id")
    if wanted is not None and (not isinstance(wanted, str) or wanted in ids or wanted == END):
        raise EditError(f"the id {wanted!r} is taken or reserved")
    candidates = (kind if n == 1 else f"{kind}-{n}" for n in range(1, len(ids) + 2))
    new = CommentedMap(id=wanted or next(c for c in candidates if c not in ids), type=kind)
    new.update({key: value for key, value in step.items() if key not in ("id", "type")})
    return new


def _check_outcome(step: CommentedMap, outcome: str) -> None:
    step_class = STEPS.get(str(step.get("type")))
    outcomes = step_class.OUTCOMES if step_class is not None else ()
    if outcome not in outcomes:
        allowed = ", ".join(outcomes) or "none"
        raise EditError(f"{step.get('type')} has no exit {outcome!r} (its exits: {allowed})")


def _default_target(steps: CommentedSeq, ids: list[str], index: int) -> str:
    """Where the step at ``index`` goes when no exit says otherwise."""
    given = steps[index].get(NEXT)
    if isinstance(given, str):
        return given
    return ids[index + 1] if index + 1 < len(ids) else END


def falls_through(step: Mapping[str, Any]) -> bool:
    """Whether the step can go on to the step after it in the list."""
    if NEXT in step or step.get("type") == "split":
        return False
    return not (step.get("type") == "branch" and "else" in step)


def _references(step: CommentedMap) -> list[tuple[str, str]]:
    """(field, target) of every way out of ``step`` other than its default."""
    found: list[tuple[str, str]] = []
    exits = step.get("exits")
    if isinstance(exits, dict):
        found += [(f"exits.{o}", t) for o, t in exits.items() if isinstance(t, str)]
    for key in ("cases", "branches"):
        for item in step.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("goto"), str):
                found.append((key, item["goto"]))
    for key in ("else", "target"):
        if isinstance(step.get(key), str):
            found.append((key, step[key]))
    if isinstance(step.get(NEXT), str):
        found.append((NEXT, step[NEXT]))
    return found


def redirect(step: MutableMapping[str, Any], old: str, new: str) -> None:
    """Every reference of ``step`` to ``old`` now names ``new``."""
    if step.get(NEXT) == old:
        step[NEXT] = new
    exits = step.get("exits")
    if isinstance(exits, dict):
        for outcome, target in list(exits.items()):
            if target == old:
                exits[outcome] = new
    for key in ("cases", "branches"):
        for item in step.get(key) or []:
            if isinstance(item, dict) and item.get("goto") == old:
                item["goto"] = new
    if step.get("else") == old:
        step["else"] = new
    if step.get("type") == "jump_to" and step.get("target") == old:
        if new == END:
            raise EditError(f"step {step.get('id')!r} jumps to the step, which ends the run")
        step["target"] = new


def make_first(steps: MutableSequence[Any], target: str) -> None:
    """Put ``target`` first (where a removed step stood), keeping where every step goes."""
    position = next(i for i, step in enumerate(steps) if step.get("id") == target)
    if position == 0:
        return
    if falls_through(steps[position - 1]):
        steps[position - 1][NEXT] = target
    if falls_through(steps[position]):
        steps[position][NEXT] = steps[position + 1]["id"] if position + 1 < len(steps) else END
    steps.insert(0, steps.pop(position))
