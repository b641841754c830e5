"""Keys owed a try: tried again later, twice as late each time, until held."""

from __future__ import annotations

from collections.abc import Callable

from bot.pipeline.key_retries import FIRST_S, LAST_S, KeyRetries


class Later:
    """Records what is to be called when, instead of waiting."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None], Handle]] = []

    def __call__(self, seconds: float, callback: Callable[[], None]) -> Handle:
        handle = Handle()
        self.pending.append((seconds, callback, handle))
        return handle

    def run_next(self) -> float:
        seconds, callback, handle = self.pending.pop(0)
        if not handle.cancelled:
            callback()
        return seconds


class Handle:
    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def test_an_owed_key_is_tried_again_later_each_time_until_held() -> None:
    tried: list[str] = []
    later = Later()
    retries = KeyRetries(tried.append, later)
    retries.owe(["conversation:1"])
    waits = []
    for _ in range(8):
        retries.refused("conversation:1")
        retries.refused("conversation:1")  # refused twice before its try: one try
        assert len(later.pending) == 1
        waits.append(later.run_next())
    assert tried == ["conversation:1"] * 8
    assert waits[0] == FIRST_S
    assert waits[1] == 2 * FIRST_S
    assert waits[-1] == LAST_S
    assert waits == sorted(waits)
    retries.held("conversation:1")
    retries.refused("conversation:1")
    assert later.pending == []


def test_a_key_not_owed_is_not_tried_and_clear_cancels() -> None:
    tried: list[str] = []
    later = Later()
    retries = KeyRetries(tried.append, later)
    retries.refused("conversation:2")  # found by a sweep, not handed: nothing owed
    assert later.pending == []
    retries.owe(["conversation:3"])
    retries.refused("conversation:3")
    retries.clear()
    later.run_next()
    assert tried == []
    retries.refused("conversation:3")  # owed nothing after clear
    assert later.pending == []
