"""Group commit: what many tasks submit while one write is under way goes in the next one."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Calls ``commit`` with every item submitted since its last call; each submitter gets its result.

    ``commit`` returns one result per item, in order. When it raises, every submitter of
    that group gets the exception. There is no waiting for company: a lone item is
    written at once, and items pile up only while a write is already in progress.
    """

    def __init__(
        self, commit: Callable[[list[Item]], Awaitable[list[Result]]], max_group: int = 1000
    ) -> None:
        self._commit = commit
        self._max_group = max_group
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Wait until ``item`` is committed; a caller cancelled meanwhile still gets it written."""
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            # a fresh context: the writer must not inherit a submitter's open transaction
            self._writer = asyncio.create_task(
                self._write_groups(), name="group-commit", context=contextvars.Context()
            )
        return await done  # the item is queued already: cancelling only stops the wait

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = (
                self._waiting[: self._max_group],
                self._waiting[self._max_group :],
            )
            try:
                results = await self._commit([item for item, _ in group])
            except Exception as exc:
                logger.warning("a group of %d was not committed: %s", len(group), exc)
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(group, results, strict=True):
                if not done.done():
                    done.set_result(result)
