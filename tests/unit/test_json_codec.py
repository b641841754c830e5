"""The JSON columns' codec writes and reads exactly what ``json.dumps``/``json.loads`` do."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.json_codec import dumps, loads

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_dumps_and_loads_agree_with_the_standard_library(value: Any) -> None:
    text = dumps(value)
    assert text == json.dumps(value)
    assert loads(text) == json.loads(text)


def test_special_values_are_written_as_the_standard_library_writes_them() -> None:
    assert (
        dumps({"n": math.nan, "i": math.inf, 1: "é"}) == '{"n": NaN, "i": Infinity, "1": "\\u00e9"}'
    )


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": object()})


@pytest.mark.parametrize("text", [" {} ", '{"a": 1} x', "", "{", b'{"a": 1}'])
def test_anything_but_one_bare_document_reads_or_fails_as_json_loads_does(
    text: str | bytes,
) -> None:
    try:
        expected: Any = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc), match=str(exc).split(":")[0]):
            loads(text)
    else:
        assert loads(text) == expected
