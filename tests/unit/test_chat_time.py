"""Time in ``relaybot chat --speed``: the sped-up clock and how long the timer loop sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app.cli import build_parser
from bot.app.console_chat import pause
from bot.core.clock import SpeedClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_speed_clock_runs_speed_times_faster_than_the_time_source() -> None:
    elapsed = [100.0]
    clock = SpeedClock(60, start=START, elapsed=lambda: elapsed[0])
    assert clock.now() == START
    elapsed[0] += 1.5
    assert clock.now() == START + timedelta(seconds=90)


@pytest.mark.parametrize(
    ("due_in", "speed", "expected"),
    [
        (20.0, 1.0, 1.0),  # no longer than the poll interval
        (20.0, 60.0, 1 / 3),  # a 20 s time-out at a minute a second: a third of a second
        (0.5, 1.0, 0.5),
        (-5.0, 60.0, 1.0),  # due already but held by another claim: the poll interval
        (None, 60.0, 1.0),  # nothing pending
    ],
)
def test_the_timer_loop_sleeps_until_the_next_timer_at_the_sessions_speed(
    due_in: float | None, speed: float, expected: float
) -> None:
    due = None if due_in is None else START + timedelta(seconds=due_in)
    assert pause(due, START, speed, poll=1.0) == pytest.approx(expected)


def test_speed_is_a_positive_number() -> None:
    assert build_parser().parse_args(["chat", "--speed", "60"]).speed == 60
    assert build_parser().parse_args(["chat"]).speed == 1
    for bad in ["0", "-2", "fast"]:
        with pytest.raises(SystemExit):
            build_parser().parse_args(["chat", "--speed", bad])
