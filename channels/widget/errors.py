"""What the widget refuses, each with the code the browser sees."""

from __future__ import annotations

from bot.core.errors import RelaybotError


class WidgetError(RelaybotError):
    """The widget refused a request."""

    code = "bad_request"
    http_status = 400
    close_code = 4400

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or self.code).strip())


class BadFrame(WidgetError):
    """The request is not a valid widget message."""


class MessageTooLong(WidgetError):
    """The message is longer than the widget accepts."""

    code = "too_long"
    http_status = 413


class InvalidToken(WidgetError):
    """The visitor token is missing, forged or expired."""

    code = "invalid_token"
    http_status = 401
    close_code = 4401


class IdentityRefused(WidgetError):
    """The user identity hash does not match the user id."""

    code = "identity_refused"
    http_status = 403
    close_code = 4403


class OriginRefused(WidgetError):
    """This site's origin may not use the widget."""

    code = "origin_refused"
    http_status = 403
    close_code = 4403


class RateLimited(WidgetError):
    """Too many messages; slow down."""

    code = "rate_limited"
    http_status = 429
    close_code = 4429

    def __init__(self, retry_after: float) -> None:
        super().__init__()
        self.retry_after = retry_after


class ReceiveFailed(WidgetError):
    """The message could not be stored; send it again."""

    code = "unavailable"
    http_status = 503
    close_code = 1011

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__()
        self.retry_after = retry_after
        """Seconds to wait before sending again, when known (the database was locked)."""
