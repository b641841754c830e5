"""Matching an order's e-mail or phone to the customer."""

from __future__ import annotations

import pytest

from integrations.contact_match import belongs_to, customer_identity, phones_match


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("+44 7700 900123", "07700 900123"),
        ("+44 7700 900123", "0044-7700-900123"),
        ("+1 (415) 555-0100", "415.555.0100"),
        ("+14155550100", "+1 415 555 0100"),
    ],
)
def test_same_phone_in_other_formats(a: str, b: str) -> None:
    assert phones_match(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("+44 7700 900123", "+44 7700 900124"), ("+1 415 555 0100", "0100"), (None, None), ("", "")],
)
def test_different_or_too_short_phones(a: str | None, b: str | None) -> None:
    assert not phones_match(a, b)


def test_belongs_by_email_or_phone() -> None:
    assert belongs_to(["Ana@Example.com", None], [], email=" ana@example.com ")
    assert belongs_to([None], ["+447700900123"], email="x@y.z", phone="07700900123")
    assert not belongs_to(["ana@example.com"], ["+447700900123"], email="bob@example.com")
    assert not belongs_to([None, ""], [None], email=None, phone=None)


def test_identity_prefers_inputs_then_contact() -> None:
    context = {"contact": {"email": "c@example.com", "phone": "+1 415 555 0100"}}
    assert customer_identity({"email": "i@example.com"}, context) == (
        "i@example.com",
        "+1 415 555 0100",
    )
    assert customer_identity({}, {}) == (None, None)
    assert customer_identity({}, {"contact": "junk"}) == (None, None)
