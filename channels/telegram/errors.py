"""The one place Telegram failures become relaybot's delivery errors."""

from __future__ import annotations

import warnings

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.core.errors import (
    BadRequestError,
    DeliveryError,
    ForbiddenError,
    RateLimitedError,
    UnavailableError,
)
from channels.telegram.request import FloodWait


def map_telegram_error(exc: TelegramError, token: str) -> DeliveryError:
    """Translate a python-telegram-bot error; the bot token never appears in the reason."""
    reason = f"telegram: {exc.message}"
    if token:
        reason = reason.replace(token, "<token>")
    if isinstance(exc, FloodWait):
        return RateLimitedError(reason, retry_after=exc.retry_after)
    if isinstance(exc, RetryAfter):
        return RateLimitedError(reason, retry_after=_retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return ForbiddenError(reason, recipient_unreachable=True)
    if isinstance(exc, InvalidToken):
        return ForbiddenError("telegram: the bot token was rejected", recipient_unreachable=False)
    if isinstance(exc, ChatMigrated):
        return BadRequestError(f"telegram: the chat moved to {exc.new_chat_id}")
    # BadRequest subclasses NetworkError, so it is checked first.
    if isinstance(exc, BadRequest):
        return BadRequestError(reason)
    if isinstance(exc, NetworkError):
        return UnavailableError(reason)
    return BadRequestError(reason)


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # the int-or-timedelta deprecation notice is about the type, not the value
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value if isinstance(value, (int, float)) else value.total_seconds()
