"""Group commit: concurrent submissions share a write; failures reach every submitter."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.group_commit import GroupCommit


async def test_items_submitted_during_a_write_go_in_the_next_one() -> None:
    groups: list[list[int]] = []
    release = asyncio.Event()

    async def commit(items: list[int]) -> list[int]:
        groups.append(items)
        if len(groups) == 1:
            await release.wait()
        return [item * 10 for item in items]

    writer: GroupCommit[int, int] = GroupCommit(commit)
    first = asyncio.ensure_future(writer.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(writer.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40]
    assert groups == [[1], [2, 3, 4]]


async def test_a_failed_write_fails_its_whole_group_and_the_next_one_goes_on() -> None:
    calls = 0

    async def commit(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return items

    writer: GroupCommit[str, str] = GroupCommit(commit)
    results = await asyncio.gather(writer.submit("a"), writer.submit("b"), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert await writer.submit("c") == "c"


async def test_groups_are_capped() -> None:
    sizes: list[int] = []

    async def commit(items: list[int]) -> list[None]:
        sizes.append(len(items))
        return [None] * len(items)

    writer: GroupCommit[int, None] = GroupCommit(commit, max_group=3)
    await asyncio.gather(*(writer.submit(n) for n in range(7)))
    assert sizes == [3, 3, 1]


async def test_a_cancelled_submitter_is_still_written() -> None:
    written: list[int] = []

    async def commit(items: list[int]) -> list[None]:
        await asyncio.sleep(0)
        written.extend(items)
        return [None] * len(items)

    writer: GroupCommit[int, None] = GroupCommit(commit)
    task = asyncio.ensure_future(writer.submit(5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await writer.submit(6)
    assert written == [5, 6]
