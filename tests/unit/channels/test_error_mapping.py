"""Platform failures become the delivery errors the outbox understands."""

from __future__ import annotations

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.core.errors import BadRequestError, ForbiddenError, RateLimitedError, UnavailableError
from channels.telegram.errors import map_telegram_error
from channels.telegram.request import FloodWait
from channels.twilio_whatsapp.errors import map_twilio_error

TOKEN = "123:secret"


@pytest.mark.parametrize(
    ("exc", "kind", "unreachable"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), ForbiddenError, True),
        (InvalidToken("Unauthorized"), ForbiddenError, False),
        (BadRequest("Bad Request: chat not found"), BadRequestError, False),
        (ChatMigrated(-100123), BadRequestError, False),
        (TimedOut(), UnavailableError, None),
        (NetworkError("Bad Gateway"), UnavailableError, None),
    ],
)
def test_telegram(exc: Exception, kind: type[Exception], unreachable: bool | None) -> None:
    mapped = map_telegram_error(exc, TOKEN)  # type: ignore[arg-type]
    assert type(mapped) is kind
    if unreachable is not None:
        assert mapped.recipient_unreachable is unreachable  # type: ignore[attr-defined]


def test_telegram_flood_wait_and_retry_after() -> None:
    mapped = map_telegram_error(FloodWait("Too Many Requests", 3.5), TOKEN)
    assert isinstance(mapped, RateLimitedError)
    assert mapped.retry_after == 3.5
    # python-telegram-bot warns about the attribute's future type when building RetryAfter
    with pytest.warns(PTBDeprecationWarning):
        exc = RetryAfter(9)
    mapped = map_telegram_error(exc, TOKEN)
    assert isinstance(mapped, RateLimitedError)
    assert mapped.retry_after == 9


def test_telegram_reason_never_carries_the_token() -> None:
    mapped = map_telegram_error(NetworkError(f"cannot reach /bot{TOKEN}/sendMessage"), TOKEN)
    assert TOKEN not in str(mapped)
    assert "<token>" in str(mapped)


@pytest.mark.parametrize(
    ("status", "code", "headers", "kind", "retry_after"),
    [
        (429, 20429, {"Retry-After": "30"}, RateLimitedError, 30.0),
        (429, 20429, {"retry-after": "soon"}, RateLimitedError, None),
        (400, 63018, None, RateLimitedError, None),
        (500, 20500, None, UnavailableError, None),
        (503, None, {"Retry-After": "5"}, UnavailableError, 5.0),
        (400, 21604, None, BadRequestError, None),
        (401, 20003, None, ForbiddenError, None),
    ],
)
def test_twilio(
    status: int,
    code: int | None,
    headers: dict[str, str] | None,
    kind: type[Exception],
    retry_after: float | None,
) -> None:
    mapped = map_twilio_error(status, code, "message", headers)
    assert type(mapped) is kind
    if retry_after is not None or kind is RateLimitedError:
        assert mapped.retry_after == retry_after  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", [21610, 21211, 21614, 63003, 63024, 63032])
def test_twilio_unreachable_codes(code: int) -> None:
    mapped = map_twilio_error(400, code, "message", None)
    assert isinstance(mapped, ForbiddenError)
    assert mapped.recipient_unreachable


def test_twilio_window_error_is_refused_but_reachable() -> None:
    mapped = map_twilio_error(400, 63016, "outside window", None)
    assert isinstance(mapped, ForbiddenError)
    assert not mapped.recipient_unreachable
