"""Wake-ups between the parts of one process: 'there is new work, look now'."""

from __future__ import annotations

import asyncio


class Signals:
    """One asyncio.Event per kind of background work."""

    def __init__(self) -> None:
        self.events = asyncio.Event()
        self.outbox = asyncio.Event()
        self.timers = asyncio.Event()
        self.journal = asyncio.Event()
