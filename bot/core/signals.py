"""Wake-ups between the parts of one process: 'there is new work, look now'."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.core.foreground import Foreground


class Signals:
    """One asyncio.Event per kind of background work."""

    def __init__(self) -> None:
        self.events = asyncio.Event()
        """Events were stored (the console's live inbox looks)."""
        self.unread_events = asyncio.Event()
        """Events were stored in this process that its dispatcher was not handed: it reads them."""
        self.outbox = asyncio.Event()
        self.timers = asyncio.Event()
        self.journal = asyncio.Event()
        self.foreground = Foreground()
        """The customer's work under way, which work on the side yields to."""
        self._first_due: datetime | None = None
        self._look_now = False

    def timers_changed(self, due_at: datetime | None = None) -> None:
        """Wake the scheduler: timers were stored, the first due at ``due_at`` (None: not
        known here, as when another process stored them)."""
        if due_at is None:
            self._look_now = True
        elif self._first_due is None or due_at < self._first_due:
            self._first_due = due_at
        self.timers.set()

    def take_timers_news(self) -> datetime | None:
        """The first due time of the timers stored since the last call, or None when the
        scheduler must look now (a wake-up that named no due time)."""
        due = None if self._look_now else self._first_due
        self._first_due, self._look_now = None, False
        self.timers.clear()
        return due
