"""Outbound shaping for WhatsApp: numbered choices and the 24-hour window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core.messages import OutboundMessage

WindowCheck = Callable[[datetime | None, datetime], bool]


def numbered_choices(text: str, labels: list[str]) -> str:
    """``text`` followed by ``1. Billing`` / ``2. Shipping`` lines; customers answer with either."""
    if not labels:
        return text
    lines = "\n".join(f"{number}. {label}" for number, label in enumerate(labels, start=1))
    return f"{text}\n\n{lines}" if text else lines


def freeform_body(message: OutboundMessage) -> str:
    return numbered_choices(message.text, [choice.label for choice in message.choices])


def window_open(message: OutboundMessage, now: datetime, check: WindowCheck) -> bool | None:
    """Whether the 24-hour window is open, from what the sender put in ``metadata``.

    ``metadata["freeform_allowed"]`` (a bool) wins; otherwise
    ``metadata["last_customer_message_at"]`` (aware datetime or ISO-8601) is checked
    against ``now``. ``None`` when neither is given.
    """
    allowed = message.metadata.get("freeform_allowed")
    if isinstance(allowed, bool):
        return allowed
    if "last_customer_message_at" not in message.metadata:
        return None
    last = message.metadata["last_customer_message_at"]
    if isinstance(last, str):
        last = datetime.fromisoformat(last)
    if last is not None and not isinstance(last, datetime):
        return None
    return check(last, now)
