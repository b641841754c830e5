"""The Telegram webhook's quick look at an update before it is acknowledged."""

from __future__ import annotations

from typing import Any

import pytest

from channels.telegram.parse import shape_problem
from tests.fakes.telegram import callback_update, message_update


def test_well_formed_updates_pass() -> None:
    assert shape_problem(message_update(1, text="hi")) is None
    assert shape_problem(callback_update(2, "billing")) is None
    assert shape_problem({"update_id": 3, "edited_message": {"anything": 1}}) is None


def with_change(update: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = update
    for key in parents:
        node = node[key]
    node[last] = value
    return update


@pytest.mark.parametrize(
    ("update", "problem"),
    [
        (
            with_change(message_update(1, text="hi"), "message.text", 5),
            "message.text must be of type str",
        ),
        (
            with_change(message_update(1, text="hi"), "message.chat.id", "42"),
            "message.chat.id must be of type int",
        ),
        (
            with_change(message_update(1, text="hi"), "message.message_id", True),
            "message.message_id must be of type int",
        ),
        (
            with_change(message_update(1, text="hi"), "message.from", []),
            "message.from must be an object",
        ),
        (
            with_change(message_update(1, text="hi"), "message", "text"),
            "message must be of type dict",
        ),
        (
            with_change(callback_update(2, "x"), "callback_query.data", []),
            "callback_query.data must be of type str",
        ),
        (
            with_change(callback_update(2, "x"), "callback_query.from", None),
            "callback_query.from is missing",
        ),
    ],
)
def test_wrong_types_are_named(update: dict[str, Any], problem: str) -> None:
    assert shape_problem(update) == problem
