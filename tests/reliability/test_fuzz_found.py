"""Requests the HTTP fuzzers found mishandled, kept as plain examples."""

from __future__ import annotations

import json

from tests.fakes.telegram import callback_update, signed_headers
from tests.reliability.fuzz_app import TELEGRAM_SECRET, FuzzApp


def test_telegram_button_data_of_the_wrong_type_is_400(fuzz: FuzzApp) -> None:
    before = fuzz.counts()
    update = callback_update(7, "x")
    update["callback_query"]["data"] = []
    answer = fuzz.request(
        "POST", "/webhooks/telegram", body=json.dumps(update).encode(),
        headers=signed_headers(TELEGRAM_SECRET),
    )
    assert (answer.status, answer.body) == (400, b"unreadable update")
    assert fuzz.counts() == before
