"""Delivery receipts from a platform: a message's status only ever moves forward.

Platforms report statuses out of order (``delivered`` can arrive before ``sent``),
so each status has a rank and a report with a lower rank than the stored one
changes nothing. ``failed`` and ``undelivered`` end the story, unless the message
was already delivered or read.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.storage.pipeline import delivery_records
from bot.storage.uow import UnitOfWork

RANKS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 1,
    "delivered": 2,
    "read": 3,
    "failed": 4,
    "undelivered": 4,
}
logger = logging.getLogger(__name__)

FAILED = frozenset({"failed", "undelivered"})


@dataclass(frozen=True)
class StatusChange:
    """A status that was stored; ``failed`` says the message will never arrive."""

    message_id: int
    conversation_id: int
    status: str
    error_code: str | None

    @property
    def failed(self) -> bool:
        return self.status in FAILED


def moves_forward(current: str | None, new: str) -> bool:
    """Whether ``new`` may replace ``current``."""
    if new not in RANKS:
        return False
    if current in FAILED:
        return False
    if new in FAILED:
        return RANKS.get(current or "", 0) < RANKS["delivered"]
    return RANKS[new] > RANKS.get(current or "", -1)


async def apply_status(
    uow: UnitOfWork, external_id: str, status: str, error_code: str | None = None
) -> StatusChange | None:
    """Store ``status`` on the outbound message sent as ``external_id``.

    Returns the change, or ``None`` when the message is unknown or the report is
    stale. A message split in parts keeps its ids comma-separated in ``external_id``
    and one ``message_parts`` row each; any part's report counts. Both lookups are
    index lookups. For the status webhook: urgent (see :meth:`~bot.storage.uow.UnitOfWork.__call__`).
    """
    async with uow(urgent=True) as tx:
        message = await delivery_records.sent_as(tx, external_id)
        if message is None or not moves_forward(message.delivery_status, status):
            return None
        error = (error_code or "unknown")[:64] if status in FAILED else None
        await delivery_records.store_status(tx, message.id, status, error_code=error)
        return StatusChange(
            message.id, message.conversation_id, status, error or message.error_code
        )


DeliveryFailed = Callable[[int, int | None, str], Awaitable[None]]
"""Told when a customer message failed for good: its id, its conversation, why."""


@dataclass(frozen=True)
class StatusReport:
    """A platform's delivery receipt, read by its channel: which message, what status,
    and for a failure whether the customer cannot be reached at all, and why."""

    external_id: str
    status: str
    error_code: str | None = None
    unreachable: bool = False
    reason: str = ""


async def record_status(
    uow: UnitOfWork, report: StatusReport, delivery_failed: DeliveryFailed
) -> StatusChange | None:
    """Store the receipt in order; a failure marks an unreachable customer and fails
    what waited on the message (the workflow runner's question, say)."""
    change = await apply_status(uow, report.external_id, report.status, report.error_code)
    if change is None or not change.failed:
        return change
    if report.unreachable:
        async with uow() as tx:
            await delivery_records.mark_unreachable(tx, change.conversation_id)
    logger.warning(
        "message %s %s",
        report.external_id,
        report.status,
        extra={"conversation_id": change.conversation_id, "message_id": change.message_id},
    )
    await delivery_failed(change.message_id, change.conversation_id, report.reason)
    return change
