"""JSON for the database's JSON columns: the standard library's encoder and scanner,
built once.

``json.dumps`` and ``json.loads`` set up a new C encoder (or run a whitespace regex)
on every call, which costs more than encoding the small documents a row carries (an
event's data, a log line's, an outbound payload). The output is the same as theirs
with default arguments: ASCII-only, ``", "`` and ``": "`` separators, NaN allowed.
"""

from __future__ import annotations

import json
from json import encoder, scanner
from typing import Any

_MAKE_ENCODER: Any = getattr(encoder, "c_make_encoder", None)  # None without the C accelerator
_ENCODE = (
    _MAKE_ENCODER(
        None,  # markers: no circular-reference bookkeeping, rows hold plain JSON data
        json.JSONEncoder().default,  # an unknown type raises TypeError, as json.dumps does
        encoder.encode_basestring_ascii,
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    if _MAKE_ENCODER is not None
    else None
)
_SCAN = scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def dumps(value: Any) -> str:
    """``json.dumps(value)``."""
    if _ENCODE is None:
        return json.dumps(value)
    return "".join(_ENCODE(value, 0))


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``; anything but one bare document (surrounding whitespace,
    trailing data, bytes, an error) takes ``json.loads`` itself, for its result or error."""
    if isinstance(text, str):
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            pass
        else:
            if end == len(text):
                return value
    return json.loads(text)


ENGINE_ARGUMENTS: dict[str, Any] = {"json_serializer": dumps, "json_deserializer": loads}
"""How SQLAlchemy engines and dialects encode and decode JSON columns with this codec."""
