"""Work a customer is waiting for, and a wait for the moments when there is none.

The parts on the customer's path (the journal processor storing what arrived, the
event dispatcher handing events to the runner, the outbox sending to a customer's
chat) say when they are at work; work on the side (the Slack thread mirror) waits for
a quiet moment before it takes the event loop, so in a burst the customers are
answered first and the side work catches up after. Side work that has waited for
:data:`PATIENCE` others goes on anyway, so a process that is never quiet still does it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

PATIENCE = 2000
"""How many pieces of side work may wait for a quiet moment; beyond that they go on."""


class Foreground:
    """Counts the customer's work under way; :meth:`yield_to` waits until none is."""

    def __init__(self, patience: int = PATIENCE) -> None:
        self.patience = patience
        self._busy = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._waiting = 0

    @property
    def busy(self) -> bool:
        """Whether customer work is under way."""
        return self._busy > 0

    def begin(self) -> None:
        """A piece of customer work starts."""
        self._busy += 1
        self._quiet.clear()

    def end(self) -> None:
        """A piece of customer work ends (one :meth:`begin` each)."""
        self._busy -= 1
        if self._busy <= 0:
            self._busy = 0
            self._quiet.set()

    @contextmanager
    def working(self) -> Iterator[None]:
        """Customer work for the length of the block."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    async def yield_to(self) -> None:
        """Wait until no customer work is under way (at once when :attr:`patience`
        pieces of side work are waiting already)."""
        if not self._busy or self._waiting >= self.patience:
            return
        self._waiting += 1
        try:
            while self._busy:
                await self._quiet.wait()
                # what the last piece of work woke (the next stage) starts before side
                # work is let go; if it is the customer's, the wait goes on
                await asyncio.sleep(0)
        finally:
            self._waiting -= 1
