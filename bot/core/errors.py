"""The exception tree: one root, small subclasses whose docstring says what went wrong."""

from __future__ import annotations

import math


class RelaybotError(Exception):
    """Something went wrong in relaybot."""


class ConfigError(RelaybotError):
    """A setting is missing or invalid."""


class NotFoundError(RelaybotError):
    """The requested object does not exist."""


class ValidationFailed(RelaybotError):
    """Input was rejected; ``field`` names what was wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownStageError(ValidationFailed):
    """The lead pipeline has no such stage."""


class DeliveryError(RelaybotError):
    """Sending something outward failed."""


class RetryableDeliveryError(DeliveryError):
    """A send failed for now; try again later (after ``retry_after`` seconds if given)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class RateLimitedError(RetryableDeliveryError):
    """The platform answered 429; wait ``retry_after`` seconds."""


class UnavailableError(RetryableDeliveryError):
    """The platform answered 5xx or could not be reached."""


class PermanentDeliveryError(DeliveryError):
    """A send that will never succeed as it is (bad request, forbidden); do not retry."""

    def __init__(self, reason: str, *, recipient_unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.recipient_unreachable = recipient_unreachable


class ForbiddenError(PermanentDeliveryError):
    """The platform refused: the customer blocked the bot, or the token lacks rights."""


class BadRequestError(PermanentDeliveryError):
    """The platform rejected the request as malformed."""


class StorageTimeout(RelaybotError):
    """What arrived could not be stored in time (the database stayed locked, by another
    process for instance). Nothing was acknowledged: answer with a retryable status, 503
    with ``Retry-After: retry_after``, and let the sender deliver it again."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"not stored within {waited:.1f} s: the database was busy or locked")
        self.waited = waited
        self.retry_after = max(1, math.ceil(waited))
        """Whole seconds to wait before trying again: as long as this attempt waited."""
