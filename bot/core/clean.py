"""Inbound text made safe to store: NUL and lone surrogates replaced, long texts cut.

PostgreSQL refuses NUL in ``text`` and ``\\u0000`` or an unpaired surrogate in ``jsonb``;
SQLite cannot encode an unpaired surrogate as UTF-8. Either would fail the insert of an
otherwise good message on every redelivery, so every string that enters from outside
passes through here first and such characters become U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.core.messages import InboundMessage

REPLACEMENT = "\ufffd"
MAX_DEPTH = 64
"""How deep a JSON document from outside may nest (Telegram's updates nest about ten levels)."""

_BAD = re.compile("[\x00\ud800-\udfff]")
T = TypeVar("T")


class TooDeep(ValueError):
    """The document nests deeper than we read."""


def clean_text(text: str) -> str:
    """``text`` with NUL and unpaired surrogates replaced by U+FFFD."""
    return _BAD.sub(REPLACEMENT, text) if _BAD.search(text) else text


def clean_json(value: T, max_depth: int = MAX_DEPTH) -> tuple[T, bool]:
    """``value`` with every string (keys too, and pydantic models' fields) cleaned, and
    whether anything changed; the same objects when nothing did. Raises :class:`TooDeep`
    beyond ``max_depth`` levels."""
    return _clean(value, max_depth)


def _clean(value: Any, depth: int) -> tuple[Any, bool]:
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, cleaned is not value
    if depth <= 0 and isinstance(value, dict | list | BaseModel):
        raise TooDeep("nested too deeply")
    if isinstance(value, dict):
        pairs = [(_clean(k, depth - 1), _clean(v, depth - 1)) for k, v in value.items()]
        if not any(k[1] or v[1] for k, v in pairs):
            return value, False
        return {k[0]: v[0] for k, v in pairs}, True
    if isinstance(value, list):
        items = [_clean(item, depth - 1) for item in value]
        if not any(changed for _, changed in items):
            return value, False
        return [item for item, _ in items], True
    if isinstance(value, BaseModel):
        changes = {}
        for name in type(value).model_fields:
            cleaned, changed = _clean(getattr(value, name), depth - 1)
            if changed:
                changes[name] = cleaned
        return (value.model_copy(update=changes), True) if changes else (value, False)
    return value, False


def clean_inbound(message: InboundMessage, max_text: int) -> InboundMessage:
    """``message`` with its strings cleaned and its text cut at ``max_text`` characters.

    A cut text says so in the metadata: ``truncated`` and ``original_length``.
    """
    message, _ = clean_json(message)
    text = message.text
    if text is None or len(text) <= max_text:
        return message
    metadata = {**message.metadata, "truncated": True, "original_length": len(text)}
    return message.model_copy(update={"text": text[:max_text], "metadata": metadata})
