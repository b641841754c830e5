"""E-mail over SMTP with ``aiosmtplib`` (send_notification ``via: [email]``, outbox kind ``email``).

Settings: ``SMTP_HOST``, ``SMTP_PORT`` (465 means implicit TLS), ``SMTP_USERNAME`` /
``SMTP_PASSWORD`` (login only when both are set), ``SMTP_FROM``, ``SMTP_STARTTLS``.
Failures raise the outbox's typed errors: connection problems, timeouts and 4xx
answers are retryable; 5xx answers (a refused recipient, a rejected message, bad
credentials) and unsupported features are permanent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from bot.core.config import Settings
from bot.core.errors import (
    BadRequestError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    UnavailableError,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailReport:
    """What the server accepted; ``refused`` lists recipients refused while others got it."""

    message_id: str
    refused: dict[str, str] = field(default_factory=dict)


def build_message(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A text e-mail, with an HTML alternative when ``html`` is given."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def map_smtp_error(exc: Exception) -> DeliveryError:
    """The one place SMTP failures become retryable or permanent delivery errors."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        reason = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        if codes and all(code >= 500 for code in codes):
            return PermanentDeliveryError(f"smtp refused {reason}", recipient_unreachable=True)
        return RetryableDeliveryError(f"smtp deferred {reason}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reason = f"smtp answered {exc.code} {exc.message}"
        if exc.code >= 500:
            return PermanentDeliveryError(reason)
        return RetryableDeliveryError(reason)
    if isinstance(exc, TimeoutError):
        return UnavailableError("smtp timed out")
    if isinstance(exc, OSError):
        return UnavailableError(f"smtp unreachable: {type(exc).__name__}")
    # Missing STARTTLS or AUTH support, no usable login method: a setup problem.
    message = exc.message if isinstance(exc, aiosmtplib.SMTPException) else str(exc)
    return PermanentDeliveryError(f"smtp setup problem: {message}")


class EmailSender:
    """Sends one e-mail per call through the configured SMTP server."""

    def __init__(self, settings: Settings, *, timeout_s: float = 30.0) -> None:
        self._settings = settings
        self._timeout = timeout_s

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host and self._settings.smtp_from)

    async def send(
        self,
        to: str | Sequence[str],
        subject: str,
        text: str,
        html: str | None = None,
        *,
        message_id: str | None = None,
    ) -> EmailReport:
        """Send; a stable ``message_id`` lets receivers drop duplicates of a retried send."""
        s = self._settings
        if not s.smtp_host or not s.smtp_from:
            raise PermanentDeliveryError("email is not configured (SMTP_HOST, SMTP_FROM)")
        recipients = [to] if isinstance(to, str) else list(to)
        if not recipients:
            raise BadRequestError("email has no recipients")
        try:
            message = build_message(s.smtp_from, recipients, subject, text, html, message_id)
        except (ValueError, TypeError) as exc:
            raise BadRequestError(f"email cannot be built: {exc}") from exc
        login = s.smtp_username and s.smtp_password
        implicit_tls = s.smtp_port == 465
        try:
            refused, _ = await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username if login else None,
                password=s.smtp_password.get_secret_value() if login and s.smtp_password else None,
                use_tls=implicit_tls,
                start_tls=False if implicit_tls else s.smtp_starttls,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = map_smtp_error(exc)
            logger.warning("email to %d recipient(s) failed: %s", len(recipients), error)
            raise error from exc
        report = EmailReport(
            message_id=str(message["Message-ID"]),
            refused={addr: f"{r.code} {r.message}" for addr, r in refused.items()},
        )
        if report.refused:
            logger.warning("email partly refused: %s", ", ".join(report.refused))
        logger.info("email %s sent to %d recipient(s)", report.message_id, len(recipients))
        return report
