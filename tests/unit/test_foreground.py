"""Foreground: side work waits while a customer's work is under way, up to its patience."""

from __future__ import annotations

import asyncio

from bot.core.foreground import Foreground


async def test_side_work_waits_until_the_last_customer_work_ends() -> None:
    foreground = Foreground()
    await asyncio.wait_for(foreground.yield_to(), 1)  # nothing under way: at once
    foreground.begin()
    with foreground.working():
        waiting = asyncio.create_task(foreground.yield_to())
        await asyncio.sleep(0.01)
        assert not waiting.done()
    await asyncio.sleep(0.01)
    assert not waiting.done()  # the first piece is still under way
    assert foreground.busy
    foreground.end()
    await asyncio.wait_for(waiting, 1)
    assert not foreground.busy


async def test_side_work_beyond_its_patience_goes_on() -> None:
    foreground = Foreground(patience=2)
    foreground.begin()
    first = asyncio.create_task(foreground.yield_to())
    second = asyncio.create_task(foreground.yield_to())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(foreground.yield_to(), 1)  # two wait already: the third goes on
    assert not first.done() and not second.done()
    foreground.end()
    await asyncio.wait_for(asyncio.gather(first, second), 1)


async def test_a_block_that_fails_still_ends_its_work() -> None:
    foreground = Foreground()
    try:
        with foreground.working():
            raise RuntimeError("send failed")
    except RuntimeError:
        pass
    assert not foreground.busy
    await asyncio.wait_for(foreground.yield_to(), 1)


async def test_side_work_waits_for_the_stage_the_last_work_woke() -> None:
    """The next stage woken as the last piece ends (a pump after a commit) goes first."""
    foreground = Foreground()
    foreground.begin()
    waiting = asyncio.create_task(foreground.yield_to())
    await asyncio.sleep(0)

    async def next_stage() -> None:
        foreground.begin()

    foreground.end()
    await asyncio.create_task(next_stage())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    foreground.end()
    await asyncio.wait_for(waiting, 1)
