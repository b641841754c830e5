"""What the HTTP fuzzers share: hypothesis settings, input strategies and the checks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.reliability.fuzz_app import ADMIN_TOKEN, SHOP, Answer, FuzzApp

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
huge_text = st.integers(min_value=0, max_value=3).map(lambda n: "x" * (10 ** (n + 2)))
texts = st.text(max_size=60) | huge_text
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
raw_bodies = st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())


origins = st.sampled_from([SHOP, None, "https://evil.example.com", "null"]) | header_values


def mutate(base: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``base`` with some fields (also nested ones) replaced, removed or added."""
    result = dict(base)
    for key in data.draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        action = data.draw(st.sampled_from(["replace", "remove", "nest"]))
        if action == "remove":
            result.pop(key)
        elif action == "nest" and isinstance(base[key], dict):
            result[key] = mutate(base[key], data)
        else:
            result[key] = data.draw(json_values)
    for key, value in data.draw(
        st.dictionaries(st.text(max_size=10), json_values, max_size=2)
    ).items():
        result.setdefault(key, value)
    return result


def accepted_or_explained(answer: Answer, *, allowed: tuple[int, ...] = ()) -> None:
    assert answer.status < 500, answer.body[:300]
    if answer.status >= 400 and answer.status not in allowed:
        assert answer.body.strip(), f"{answer.status} without a reason"


def consistent(fuzz: FuzzApp) -> None:
    assert fuzz.broken_invariants() == []


def origin_headers(origin: str | None) -> dict[str, str]:
    return {"Origin": origin} if origin is not None else {}
