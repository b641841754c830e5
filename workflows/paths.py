"""Dotted-path lookup over the run context (`contact.name`, `vars.order.items.0`)."""

from __future__ import annotations

from typing import Any, Final


class _Missing:
    """The value of a path that leads nowhere (distinct from an explicit None)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

CONTEXT_ROOTS: Final = ("contact", "conversation", "lead", "message", "event", "vars")
"""The first segment a condition field or template path may start with."""


def resolve(ctx: Any, path: str) -> Any:
    """Follow ``path`` through dicts, attributes and list indexes; MISSING if it breaks."""
    current = ctx
    for part in path.split("."):
        if isinstance(current, dict):
            if part not in current:
                return MISSING
            current = current[part]
        elif isinstance(current, list | tuple) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current
