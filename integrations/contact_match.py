"""Does an order's e-mail or phone belong to the customer in the conversation?

E-mails compare case-insensitively after trimming. Phones compare on digits with
leading zeros dropped (so ``+44 7700 900123``, ``0044 7700 900123`` and
``07700 900123`` agree); a number without its country code matches the end of a full
one, and never on fewer than :data:`MIN_PHONE_DIGITS` digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MIN_PHONE_DIGITS = 8


def normalize_email(value: object) -> str | None:
    if not isinstance(value, str) or "@" not in value:
        return None
    return value.strip().casefold() or None


def normalize_phone(value: object) -> str | None:
    if not isinstance(value, str | int):
        return None
    digits = re.sub(r"\D", "", str(value)).lstrip("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def phones_match(a: object, b: object) -> bool:
    left, right = normalize_phone(a), normalize_phone(b)
    if left is None or right is None:
        return False
    return left == right or left.endswith(right) or right.endswith(left)


def belongs_to(
    order_emails: Iterable[object],
    order_phones: Iterable[object],
    email: object = None,
    phone: object = None,
) -> bool:
    """True when ``email`` or ``phone`` matches one of the order's."""
    wanted = normalize_email(email)
    if wanted is not None and any(normalize_email(e) == wanted for e in order_emails):
        return True
    return phone is not None and any(phones_match(p, phone) for p in order_phones)


def customer_identity(inputs: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[Any, Any]:
    """The e-mail and phone to check: the step's inputs, else the conversation's contact."""
    contact = context.get("contact") or {}
    if not isinstance(contact, Mapping):
        contact = {}
    email = inputs.get("email") or contact.get("email")
    phone = inputs.get("phone") or contact.get("phone")
    return email, phone
