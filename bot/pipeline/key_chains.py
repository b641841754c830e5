"""Work on the side in order per key: each key's pieces run one after another, and
nobody waits for them unless it asks to."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

Work = Coroutine[Any, Any, None]


class KeyChains:
    """Each key's chain of work under way; ``done`` is called when a key's chain ends."""

    def __init__(self, done: Callable[[], None]) -> None:
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._done = done

    def add(self, key: str, work: Work) -> None:
        """Run ``work`` after the key's work under way (its next link). ``work`` must not
        raise: the next link starts either way."""
        tail = asyncio.create_task(_after(self._tails.get(key), work))
        self._tails[key] = tail
        tail.add_done_callback(lambda ended: self._ended(key, ended))

    def busy(self, key: str) -> bool:
        """Whether the key has work under way."""
        return key in self._tails

    def __bool__(self) -> bool:
        """Whether any key has work under way."""
        return bool(self._tails)

    async def settle(self, key: str) -> None:
        """Wait until the key's work added so far is done."""
        tail = self._tails.get(key)
        if tail is not None:
            await asyncio.shield(tail)

    def _ended(self, key: str, tail: asyncio.Task[None]) -> None:
        if self._tails.get(key) is tail:
            del self._tails[key]
            self._done()


async def _after(before: asyncio.Task[None] | None, work: Work) -> None:
    if before is not None:
        await asyncio.shield(before)
    await work
