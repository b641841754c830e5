"""Requests the HTTP fuzzers found mishandled, kept as plain examples."""

from __future__ import annotations

import json

import pytest

from tests.fakes.telegram import callback_update, signed_headers
from tests.reliability.fuzz_app import TELEGRAM_SECRET, FuzzApp


def test_telegram_button_data_of_the_wrong_type_is_400(fuzz: FuzzApp) -> None:
    before = fuzz.counts()
    update = callback_update(7, "x")
    update["callback_query"]["data"] = []
    answer = fuzz.request(
        "POST",
        "/webhooks/telegram",
        body=json.dumps(update).encode(),
        headers=signed_headers(TELEGRAM_SECRET),
    )
    assert (answer.status, answer.body) == (400, b"unreadable update")
    assert fuzz.counts() == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00", "application/json"),
        (b"[1]", "application/json"),
        (b'"x"', "application/json"),
        (b"payload=null", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
        (b"\xff", "application/x-www-form-urlencoded"),
    ],
)
def test_slack_body_bolt_cannot_parse_is_400(fuzz: FuzzApp, body: bytes, content_type: str) -> None:
    before = fuzz.counts()
    answer = fuzz.slack_post(body, content_type)
    assert (answer.status, answer.body) == (400, b"unreadable Slack request body")
    assert fuzz.counts() == before
