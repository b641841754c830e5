"""How a contact is named wherever people read it (Slack threads, DMs, lists, the admin API).

The contact's own name when known, else their e-mail or phone number, else a friendly
generated name ("Curious Otter") that stays the same for the contact: never a raw
channel id such as a widget visitor's ``v_hg26…``.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

ADJECTIVES = (
    "Amber",
    "Bold",
    "Brave",
    "Bright",
    "Calm",
    "Cheerful",
    "Clever",
    "Cosmic",
    "Curious",
    "Daring",
    "Eager",
    "Gentle",
    "Golden",
    "Happy",
    "Honest",
    "Jolly",
    "Kind",
    "Lively",
    "Lucky",
    "Merry",
    "Mighty",
    "Nimble",
    "Noble",
    "Patient",
    "Playful",
    "Polite",
    "Quick",
    "Quiet",
    "Rapid",
    "Silver",
    "Sleepy",
    "Snappy",
    "Steady",
    "Sunny",
    "Swift",
    "Tidy",
    "Breezy",
    "Witty",
    "Zesty",
    "Friendly",
)
ANIMALS = (
    "Badger",
    "Beaver",
    "Bison",
    "Crane",
    "Dolphin",
    "Eagle",
    "Falcon",
    "Ferret",
    "Finch",
    "Fox",
    "Gecko",
    "Heron",
    "Hedgehog",
    "Ibis",
    "Koala",
    "Lemur",
    "Lynx",
    "Marten",
    "Moose",
    "Newt",
    "Ocelot",
    "Orca",
    "Osprey",
    "Otter",
    "Owl",
    "Panda",
    "Pelican",
    "Penguin",
    "Puffin",
    "Quail",
    "Rabbit",
    "Raven",
    "Robin",
    "Seal",
    "Sparrow",
    "Stork",
    "Swan",
    "Tapir",
    "Walrus",
    "Wombat",
)


def friendly_name(contact_id: int) -> str:
    """A two-word name chosen by a hash of ``contact_id``: the same on every call and process."""
    digest = hashlib.sha256(f"contact:{contact_id}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    adjective, animal = divmod(number % (len(ADJECTIVES) * len(ANIMALS)), len(ANIMALS))
    return f"{ADJECTIVES[adjective]} {ANIMALS[animal]}"


class Nameable(Protocol):
    """What a contact is called by: a stored contact or a plain value with these fields."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...


def display_name(contact: Nameable) -> str:
    """What to call ``contact``: name, else e-mail, else phone, else :func:`friendly_name`."""
    for known in (contact.name, contact.email, contact.phone):
        if known and known.strip():
            return known.strip()
    return friendly_name(contact.id)
