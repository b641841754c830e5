"""What an outbox handler is given and gives back: the contract between the queue
(:mod:`bot.pipeline.outbox`) and the code that delivers each kind of item."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True)
class Delivery:
    """One outbound item as a handler sees it."""

    id: int
    kind: str
    destination: str
    payload: dict[str, Any]
    attempts: int
    idempotency_key: str
    conversation_id: int | None
    run_id: int | None
    step_id: str | None
    message_id: int | None
    context: dict[str, Any] = field(default_factory=dict, compare=False)
    """What the kind's ``prepare`` read for this item as it was claimed (with the others)."""
    merged: tuple[Delivery, ...] = field(default=(), compare=False)
    """Later items of the same destination that go out in this one send, in order (the
    kind's ``merge`` chose them); they are marked done with it."""

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        """From a stored ``OutboxItem`` (or a row of its columns)."""
        return cls(
            id=row.id,
            kind=row.kind,
            destination=row.destination,
            payload=dict(row.payload),
            attempts=row.attempts,
            idempotency_key=row.idempotency_key,
            conversation_id=row.conversation_id,
            run_id=row.run_id,
            step_id=row.step_id,
            message_id=row.message_id,
        )


@dataclass(frozen=True)
class FollowUpRow:
    """A follow-up that is one row of a prepared statement: the items marked done together
    run each statement once, as an executemany of their rows."""

    statement: UpdateBase
    values: dict[str, Any]


Finish = Callable[[AsyncSession], Awaitable[None]] | FollowUpRow
"""What a handler still has to record once its item went out; runs in the transaction marking it done."""
Handler = Callable[[Delivery], Awaitable[Finish | None]]
DeadHandler = Callable[[Delivery, str], Awaitable[None]]
Prepare = Callable[[AsyncSession, list[Delivery]], Awaitable[None]]
"""Reads what a kind's items claimed together need, at once, into their ``context``; runs
in the transaction that claims them."""
Merge = Callable[[Delivery, Sequence[Delivery]], Sequence[Delivery]]
"""Given the item about to go out and the later items of its destination claimed with it
(in order), the ones that go out in the same send (e.g. queued lines of one Slack thread)."""
