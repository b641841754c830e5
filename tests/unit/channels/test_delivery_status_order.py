"""Delivery receipts only move a message's status forward."""

from __future__ import annotations

import pytest

from bot.domain.delivery_status import moves_forward


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("queued", "sent"),
        ("queued", "delivered"),
        ("sent", "delivered"),
        ("delivered", "read"),
        ("queued", "failed"),
        ("sent", "undelivered"),
        (None, "sent"),
        ("accepted", "sent"),
    ],
)
def test_forward(current: str | None, new: str) -> None:
    assert moves_forward(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("sent", "queued"),
        ("delivered", "sent"),
        ("read", "delivered"),
        ("read", "read"),
        ("failed", "delivered"),
        ("undelivered", "read"),
        ("failed", "failed"),
        ("delivered", "failed"),
        ("read", "undelivered"),
        ("queued", "bogus"),
    ],
)
def test_never_backwards_and_failures_are_final(current: str | None, new: str) -> None:
    assert not moves_forward(current, new)
