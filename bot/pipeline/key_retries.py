"""Keys to try again after a while: the first time soon, then twice as late each time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Protocol

FIRST_S = 0.02
"""How soon a key is first tried again."""
LAST_S = 1.0
"""The longest wait between two tries."""


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Later = Callable[[float, Callable[[], None]], Cancellable]
"""later(seconds, callback): call ``callback`` after ``seconds``; what cancels that."""


def _loop_later(seconds: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(seconds, callback)


class KeyRetries:
    """Keys owed a try until they are held; ``retry(key)`` is called when one is due."""

    def __init__(self, retry: Callable[[str], object], later: Later = _loop_later) -> None:
        self._retry = retry
        self._later = later
        self._waits: dict[str, float] = {}
        self._due: dict[str, Cancellable] = {}

    def __len__(self) -> int:
        """How many keys are owed a try."""
        return len(self._waits)

    def owe(self, keys: Iterable[str]) -> None:
        """These keys are tried until :meth:`held`."""
        for key in keys:
            self._waits.setdefault(key, FIRST_S)

    def held(self, key: str) -> None:
        """The key was held: nothing more is owed."""
        self._waits.pop(key, None)

    def refused(self, key: str) -> None:
        """A try found the key held elsewhere: try again later, if it is owed."""
        wait = self._waits.get(key)
        if wait is None or key in self._due:
            return
        self._waits[key] = min(wait * 2, LAST_S)
        self._due[key] = self._later(wait, lambda: self._fire(key))

    def clear(self) -> None:
        """Owe nothing, and cancel the tries to come."""
        for due in self._due.values():
            due.cancel()
        self._due.clear()
        self._waits.clear()

    def _fire(self, key: str) -> None:
        del self._due[key]
        if key in self._waits:
            self._retry(key)
