"""Lookups by key that many tasks make at once, answered by one query for all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from bot.core.group_commit import GroupCommit

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class ReadBatch(Generic[Key, Value]):
    """``get(key)`` for many concurrent callers; the keys asked for meanwhile go in one ``fetch``.

    ``fetch`` returns what it found by key; a key it did not find gets ``missing()``.
    Each caller gets its answer as of a moment after it asked, as a read of its own would.
    """

    def __init__(
        self,
        fetch: Callable[[list[Key]], Awaitable[dict[Key, Value]]],
        missing: Callable[[], Value],
    ) -> None:
        self._fetch = fetch
        self._missing = missing
        self._group: GroupCommit[Key, Value] = GroupCommit(self._fetch_group)

    async def get(self, key: Key) -> Value:
        return await self._group.submit(key)

    async def _fetch_group(self, keys: list[Key]) -> list[Value]:
        found = await self._fetch(list(dict.fromkeys(keys)))
        return [found[key] if key in found else self._missing() for key in keys]
