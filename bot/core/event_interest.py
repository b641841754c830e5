"""Which stored events anyone acts on: asked by the unit of work as each event is stored,
so events nobody wants are never written for delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Wants = Callable[[str, Mapping[str, Any]], bool]
"""wants(type, data): whether a subscriber acts on such an event."""


class EventInterest:
    """Which events the subscribers act on, asked as each event is stored.

    Until :meth:`seal` (called when the dispatcher's loop starts, after every part of
    the app has subscribed) every event is wanted, so nothing stored at start-up is
    passed over. A subscriber that names no interest wants every event.
    """

    def __init__(self) -> None:
        self._wants: list[Wants] = []
        self._everything = False
        self._sealed = False

    def add(self, wants: Wants | None) -> None:
        if wants is None:
            self._everything = True
        else:
            self._wants.append(wants)

    def seal(self) -> None:
        self._sealed = True

    def wants(self, type_: str, data: Mapping[str, Any]) -> bool:
        if self._everything or not self._sealed:
            return True
        return any(wants(type_, data) for wants in self._wants)
