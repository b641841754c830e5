"""The plain-text reading of a Telegram update agrees with the library's full ``Update``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from channels.telegram.parse import plain_text_to_inbound, update_to_inbound

BOT = Bot("123456:TEST-token")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def text_update(text: str = "hello", **message: Any) -> dict[str, Any]:
    return {
        "update_id": 41,
        "message": {
            "message_id": 7,
            "date": 1767603600,
            "text": text,
            "chat": {"id": 555, "type": "private", "first_name": "Ada"},
            "from": {
                "id": 555,
                "is_bot": False,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "username": "ada",
                "language_code": "en",
            },
            **message,
        },
    }


def library_reading(payload: dict[str, Any]) -> Any:
    update = Update.de_json(payload, BOT)
    assert update is not None
    return update_to_inbound(update, NOW)


@pytest.mark.parametrize(
    "payload",
    [
        text_update(),
        text_update("/start campaign-7"),
        text_update("/start"),
        text_update("/start@relay_bot promo"),
        text_update(
            "see https://example.com", entities=[{"type": "url", "offset": 4, "length": 19}]
        ),
        text_update("in a topic", message_thread_id=3),
        text_update("group", chat={"id": -100123, "type": "supergroup", "title": "Support"}),
        text_update("no names", **{"from": {"id": 9, "is_bot": False, "first_name": "Bo"}}),
    ],
)
def test_plain_text_reading_matches_the_library(payload: dict[str, Any]) -> None:
    plain = plain_text_to_inbound(payload, BOT, NOW)
    assert plain is not None
    assert plain == library_reading(payload)


@given(
    text=st.text(min_size=1, max_size=200),
    first=st.text(min_size=1, max_size=30),
    last=st.one_of(st.none(), st.text(max_size=30)),
    chat_id=st.integers(min_value=-(10**13), max_value=10**13),
)
@settings(max_examples=60, deadline=None)
def test_any_text_and_sender_read_alike(
    text: str, first: str, last: str | None, chat_id: int
) -> None:
    sender: dict[str, Any] = {"id": 77, "is_bot": False, "first_name": first}
    if last is not None:
        sender["last_name"] = last
    payload = text_update(text, chat={"id": chat_id, "type": "private"}, **{"from": sender})
    assert plain_text_to_inbound(payload, BOT, NOW) == library_reading(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {
            "update_id": 1,
            "callback_query": {"id": "q", "data": "x", "from": {"id": 1, "first_name": "A"}},
        },
        {"update_id": 1, "edited_message": text_update()["message"]},
        text_update(reply_to_message=text_update()["message"]),
        text_update(photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]),
        {"update_id": 1, "message": {**text_update()["message"], "text": None}},
        {
            "update_id": 1,
            "message": {k: v for k, v in text_update()["message"].items() if k != "from"},
        },
        text_update(chat={"id": 5}),
    ],
)
def test_anything_else_is_left_to_the_library(payload: dict[str, Any]) -> None:
    assert plain_text_to_inbound(payload, BOT, NOW) is None


def test_a_bot_sender_is_not_a_customer_message() -> None:
    payload = text_update(**{"from": {"id": 1, "is_bot": True, "first_name": "Other bot"}})
    assert plain_text_to_inbound(payload, BOT, NOW) is None
    assert library_reading(payload) is None
