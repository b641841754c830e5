"""The one place Twilio failures become relaybot's delivery errors."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.errors import (
    BadRequestError,
    DeliveryError,
    ForbiddenError,
    RateLimitedError,
    UnavailableError,
)

# The customer cannot be reached on this number: no retry, and the contact is marked.
UNREACHABLE_CODES = {
    21610: "the customer unsubscribed (replied STOP)",
    21211: "the 'To' number is not valid",
    21614: "the 'To' number is not a mobile number",
    63003: "the number is not on WhatsApp",
    63024: "the number is not a valid WhatsApp recipient",
    63032: "WhatsApp does not let this message reach this user",
}
# Refused, but the customer is still reachable (with a template, or later).
REFUSED_CODES = {
    63016: "outside WhatsApp's 24-hour window; send a template (content_sid) instead",
    20003: "the Twilio credentials were rejected",
}
RATE_LIMIT_CODES = {63018, 20429, 14107}


def map_twilio_error(
    status: int, code: int | None, message: str, headers: Mapping[str, str] | None
) -> DeliveryError:
    """Translate a failed Twilio REST call (HTTP status, Twilio error code, message)."""
    reason = f"twilio {status}" + (f" error {code}" if code else "") + f": {message}"
    if code in UNREACHABLE_CODES:
        return ForbiddenError(f"{reason} ({UNREACHABLE_CODES[code]})", recipient_unreachable=True)
    if code in REFUSED_CODES:
        return ForbiddenError(f"{reason} ({REFUSED_CODES[code]})")
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimitedError(reason, retry_after=_retry_after(headers))
    if status >= 500:
        return UnavailableError(reason, retry_after=_retry_after(headers))
    if status in (401, 403):
        return ForbiddenError(reason)
    return BadRequestError(reason)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                seconds = float(value)
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None
