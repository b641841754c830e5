"""Lanes: a stable hash of a conversation, and the order one process tries them in."""

from __future__ import annotations

import zlib

from bot.pipeline.journal_lanes import LaneTurns, lane_number


def test_a_conversations_lane_is_stable_across_processes() -> None:
    assert lane_number("telegram", "42", 64) == zlib.crc32(b"telegram:42") % 64
    assert lane_number("telegram", "42", 64) == lane_number("telegram", "42", 64)
    assert lane_number("telegram", "42", 1) == 0
    assert {lane_number("telegram", str(chat), 64) for chat in range(1000)} == set(range(64))


def test_turns_start_where_the_last_transaction_stopped() -> None:
    turns = LaneTurns(8, start=5)
    assert turns.order([1, 3, 5, 6]) == [5, 6, 1, 3]
    turns.taken([5, 6])
    assert turns.start == 7
    assert turns.order([1, 3, 5, 6]) == [1, 3, 5, 6]
    turns.taken([])
    assert turns.start == 7
    turns.taken([7])
    assert turns.start == 0


def test_a_transaction_takes_half_the_lanes_with_work_at_least_one() -> None:
    turns = LaneTurns(64)
    assert turns.share([4]) == 1
    assert turns.share([1, 2, 3]) == 2
    assert turns.share(list(range(64))) == 32
