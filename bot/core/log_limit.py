"""A log that says a few lines a minute per key, however often it is asked to."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock

LINES = 3
WINDOW = timedelta(minutes=1)
MAX_KEYS = 1024


@dataclass
class _Budget:
    window_start: datetime
    written: int = 0
    suppressed: int = 0


class LimitedLog:
    """At most ``lines`` lines per ``window`` for each key; the rest are counted, and the
    next line let through says how many were left out.

    Keys are few by design (a channel and a reason, say); past ``max_keys`` the oldest
    is forgotten, so memory stays bounded whatever the keys are.
    """

    def __init__(
        self,
        logger: logging.Logger,
        clock: Clock,
        *,
        lines: int = LINES,
        window: timedelta = WINDOW,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._logger = logger
        self._clock = clock
        self._lines = lines
        self._window = window
        self._max_keys = max_keys
        self._budgets: dict[Hashable, _Budget] = {}

    def allow(self, key: Hashable) -> int | None:
        """None when ``key`` used its lines in this window, else how many were left out
        since its last line (the caller says so in the line it writes)."""
        now = self._clock.now()
        budget = self._budgets.get(key)
        if budget is None or now - budget.window_start >= self._window:
            suppressed = budget.suppressed if budget is not None else 0
            budget = self._budgets[key] = _Budget(now, suppressed=suppressed)
            if len(self._budgets) > self._max_keys:
                del self._budgets[next(iter(self._budgets))]
        if budget.written >= self._lines:
            budget.suppressed += 1
            return None
        budget.written += 1
        left_out, budget.suppressed = budget.suppressed, 0
        return left_out

    def warning(self, key: Hashable, msg: str, *args: Any) -> bool:
        """Log ``msg % args`` as a warning unless ``key`` used its lines; True if logged."""
        left_out = self.allow(key)
        if left_out is None:
            return False
        if left_out:
            msg, args = msg + " (%d similar lines left out before this one)", (*args, left_out)
        self._logger.warning(msg, *args)
        return True
