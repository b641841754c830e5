"""How contacts are named for people: their own details first, else a stable friendly name."""

from __future__ import annotations

import pytest

from bot.domain.contact_names import display_name, friendly_name
from bot.storage.models import Contact


@pytest.mark.parametrize(
    ("name", "email", "phone", "expected"),
    [
        ("Jane Doe", "jane@example.com", "+15550100", "Jane Doe"),
        (None, "jane@example.com", "+15550100", "jane@example.com"),
        ("  ", None, "+15550100", "+15550100"),
    ],
)
def test_known_details_come_first(
    name: str | None, email: str | None, phone: str | None, expected: str
) -> None:
    assert display_name(Contact(id=7, name=name, email=email, phone=phone)) == expected


def test_anonymous_contact_gets_a_friendly_name_stable_per_contact() -> None:
    shown = display_name(Contact(id=7))
    assert shown == friendly_name(7) == display_name(Contact(id=7, name=""))
    first, second = shown.split(" ")
    assert first.istitle() and second.istitle() and "7" not in shown


def test_friendly_names_tell_neighbouring_contacts_apart() -> None:
    assert len({friendly_name(contact_id) for contact_id in range(1, 21)}) == 20
