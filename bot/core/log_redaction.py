"""Logging set-up: secrets redacted from every record; message bodies only when asked for.

The filter sits on the root logger's handlers, so records from every logger pass
through it, third-party libraries included: python-telegram-bot writes its API URL
(with the bot token) at DEBUG, and the chat platforms' clients write request and
answer bodies (what customers and agents wrote) at DEBUG.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

from bot.core.config import Settings

REDACTED = "[redacted]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers that write request and answer bodies (message texts) at DEBUG.
BODY_LOGGERS = ("telegram", "slack_sdk", "slack_bolt", "integrations.slack.bolt")

# A Telegram bot token in a Bot API URL, ``/bot<digits>:<secret>``, configured or not.
_BOT_TOKEN_IN_URL = re.compile(r"(/bot)\d+(?::|%3A)[A-Za-z0-9_-]+", re.IGNORECASE)


def secret_values(settings: Settings) -> list[str]:
    """The value of every secret setting that is set."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            values.append(value.get_secret_value())
    return values


def _forms(secret: str) -> set[str]:
    """The secret as written and as it appears URL-encoded in a path or a query."""
    return {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}


# Below this length a secret is redacted only where it stands alone, not inside words:
# a short test value such as "s" would otherwise blank every letter s in the log.
SHORT_SECRET = 8


def _pattern(form: str) -> str:
    if len(form) >= SHORT_SECRET:
        return re.escape(form)
    return rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])"


class RedactSecrets(logging.Filter):
    """Replaces every secret in a record's message, arguments and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._forms: set[str] = set()
        self._secrets: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Redact ``secrets`` too, from the next record on."""
        self._forms |= {form for secret in secrets if secret for form in _forms(secret)}
        forms = sorted(self._forms, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(_pattern, forms))) if forms else None

    def redact(self, text: str) -> str:
        """``text`` with every secret (and any Bot API token in a URL) replaced."""
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        return _BOT_TOKEN_IN_URL.sub(r"\1" + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # the handler would print msg and args as they are
            message = f"{record.msg!s} (unformattable arguments: {record.args!r})"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def gate_message_bodies(log_message_text: bool) -> None:
    """Keep the body-writing loggers at INFO unless message texts may be logged."""
    level = logging.NOTSET if log_message_text else logging.INFO
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def install_redaction(settings: Settings) -> RedactSecrets:
    """Put a filter for ``settings``' secrets on every root handler (replacing an older one)."""
    redaction = RedactSecrets(secret_values(settings))
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redaction)
    return redaction


def redact_everywhere(secret: str) -> None:
    """Add a secret known only at run time (a generated key) to every installed filter."""
    for handler in logging.getLogger().handlers:
        for redaction in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            redaction.add(secret)


def configure_logging(settings: Settings) -> RedactSecrets:
    """Root level and format from settings, message bodies gated, secrets redacted."""
    level = settings.log_level.upper()
    logging.basicConfig(level=level, format=LOG_FORMAT)
    logging.getLogger().setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    gate_message_bodies(settings.log_message_text)
    return install_redaction(settings)
