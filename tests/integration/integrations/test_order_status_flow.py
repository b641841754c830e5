"""The order-status example through the real runner against the Shopify fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.clock import FakeClock
from tests.fakes.shopify import FakeShopify
from tests.harness import EXAMPLES, Harness

from .flows import start, tags

FLOW = EXAMPLES / "order-status.yaml"
TOKEN = "shpat_flow_token"


@pytest.fixture
async def shop() -> AsyncIterator[FakeShopify]:
    server = FakeShopify(token=TOKEN)
    async with server:
        yield server


@pytest.fixture
async def bot(database_url: str, clock: FakeClock, shop: FakeShopify) -> AsyncIterator[Harness]:
    harness = await start(
        database_url, clock, FLOW, SHOPIFY_API_BASE_URL=shop.url, SHOPIFY_ACCESS_TOKEN=TOKEN
    )
    yield harness
    await harness.services.close()


async def ask_for(bot: Harness, email: str, number: str) -> list[str]:
    await bot.say("Hi, where is my order?")
    assert bot.take() == [
        "I can check that for you. Which e-mail address did you use for the order?"
    ]
    await bot.say(email)
    assert bot.take() == ["And the order number? (it looks like #1001)"]
    await bot.say(number)
    return bot.take()


async def test_success_tells_status_and_tracking(bot: Harness, shop: FakeShopify) -> None:
    shop.add_order(
        "#1001",
        email="ada@example.com",
        fulfillment="PARTIALLY_FULFILLED",
        tracking=[("1Z999", "https://track.example/1Z999", "UPS")],
    )
    assert await ask_for(bot, "Ada@Example.com", "#1001") == [
        "Order #1001 is open: payment paid, shipping partially_fulfilled.",
        "Track it here: https://track.example/1Z999",
    ]
    (run,) = await bot.runs()
    assert run.status == "completed"


async def test_success_without_tracking(bot: Harness, shop: FakeShopify) -> None:
    shop.add_order("#1002", email="ada@example.com", fulfillment="UNFULFILLED")
    replies = await ask_for(bot, "ada@example.com", "1002")
    assert (
        replies[1]
        == "There is no tracking number yet. You'll get one by e-mail as soon as it ships."
    )


async def test_someone_elses_order_is_declined_then_handed_over(
    bot: Harness, shop: FakeShopify
) -> None:
    shop.add_order("#1003", email="bob@example.com")
    assert await ask_for(bot, "ada@example.com", "#1003") == [
        "I couldn't find order #1003 for ada@example.com. Let's check the details once more.",
        "I can check that for you. Which e-mail address did you use for the order?",
    ]
    await bot.say("ada@example.com")
    await bot.say("#1003")
    assert bot.take()[-2:] == [
        "I couldn't find order #1003 for ada@example.com. Let's check the details once more.",
        "A colleague will look into your order and answer here.",
    ]
    assert await tags(bot) == ["needs-human"]
    logs = [log.message for log in await bot.logs() if log.kind == "call"]
    assert logs.count("run_action: declined") == 2


async def test_api_failure_hands_over(bot: Harness, shop: FakeShopify) -> None:
    shop.add_order("#1004", email="ada@example.com")
    shop.fail_next(500, times=5)
    assert await ask_for(bot, "ada@example.com", "#1004") == [
        "I can't reach our order system right now, so I'll bring in a colleague.",
        "A colleague will look into your order and answer here.",
    ]
    failure = next(log for log in await bot.logs() if log.kind == "call")
    assert failure.message == "run_action: failure"
    assert failure.data["reason"]


async def test_not_configured_is_failure(database_url: str, clock: FakeClock) -> None:
    bot = await start(database_url, clock, FLOW)
    try:
        replies = await ask_for(bot, "ada@example.com", "#1001")
        assert (
            replies[0] == "I can't reach our order system right now, so I'll bring in a colleague."
        )
    finally:
        await bot.services.close()
