"""Lanes: conversations hashed into a fixed number of lanes, the journal's unit of order.

Every journal entry records its conversation's lane when it is appended. On PostgreSQL
each lane is processed by one process at a time (a transaction-level advisory lock per
lane, see :func:`bot.storage.pipeline.journal_store.try_hold_lanes`), so a conversation's
messages are stored in arrival order while different lanes are stored by different
processes at once. The hash is stable across processes and restarts (CRC-32, not
Python's salted ``hash()``); every process must use the same number of lanes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

ConversationOf = Callable[[dict[str, Any]], str | None]
"""conversation_of(payload): the platform's conversation id of a payload (None: none)."""
LaneOf = Callable[[str, dict[str, Any]], int]
"""lane_of(channel, payload): the lane a payload is journaled in."""
SHARE = 2
"""A process takes at most 1/SHARE of the lanes that hold work in one transaction, so
another process finds the rest free."""


def lane_number(channel: str, conversation: str, lanes: int) -> int:
    """The lane of ``channel``'s conversation ``conversation``, in ``0..lanes-1``."""
    return zlib.crc32(f"{channel}:{conversation}".encode()) % lanes


def no_lanes(_channel: str, _payload: dict[str, Any]) -> int:
    """A :data:`LaneOf` that puts every payload in lane 0 (no reader registered)."""
    return 0


class LaneTurns:
    """Which lanes one process tries next: every lane with work, starting where its last
    transaction stopped, so each lane gets its turn and processes spread over the lanes."""

    def __init__(self, lanes: int, start: int = 0) -> None:
        self.lanes = lanes
        self.start = start % lanes

    def order(self, pending: list[int]) -> list[int]:
        """``pending`` lanes in the order to try them."""
        return sorted(pending, key=lambda lane: (lane - self.start) % self.lanes)

    def share(self, pending: list[int]) -> int:
        """How many of the ``pending`` lanes to take in one transaction."""
        return max(1, -(-len(pending) // SHARE))

    def taken(self, held: list[int]) -> None:
        """The next transaction starts after the last lane this one held."""
        if held:
            self.start = (held[-1] + 1) % self.lanes
