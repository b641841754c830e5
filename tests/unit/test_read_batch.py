"""ReadBatch: concurrent lookups share one fetch; each caller gets its own key's answer."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.read_batch import ReadBatch


async def test_concurrent_lookups_share_one_fetch() -> None:
    fetches: list[list[int]] = []

    async def fetch(keys: list[int]) -> dict[int, str]:
        fetches.append(keys)
        await asyncio.sleep(0)
        return {key: f"value {key}" for key in keys if key % 2 == 0}

    batch: ReadBatch[int, str | None] = ReadBatch(fetch, lambda: None)
    first = await batch.get(2)  # alone: fetched at once
    answers = await asyncio.gather(*(batch.get(key) for key in [4, 5, 4, 6]))
    assert first == "value 2"
    assert answers == ["value 4", None, "value 4", "value 6"]
    assert fetches == [[2], [4, 5, 6]]  # the repeated key is asked for once


async def test_missing_answers_are_fresh_values() -> None:
    async def fetch(_keys: list[str]) -> dict[str, list[int]]:
        return {}

    batch: ReadBatch[str, list[int]] = ReadBatch(fetch, list)
    one, two = await asyncio.gather(batch.get("a"), batch.get("b"))
    one.append(1)
    assert two == []


async def test_a_failed_fetch_reaches_every_caller() -> None:
    async def fetch(_keys: list[int]) -> dict[int, int]:
        raise RuntimeError("the database is gone")

    batch: ReadBatch[int, int] = ReadBatch(fetch, int)
    results = await asyncio.gather(batch.get(1), batch.get(2), return_exceptions=True)
    assert [str(r) for r in results] == ["the database is gone"] * 2
    with pytest.raises(RuntimeError):
        await batch.get(3)
