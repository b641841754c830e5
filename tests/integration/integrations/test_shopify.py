"""shopify.order_lookup against the fake Admin GraphQL API: every exit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from bot.core.config import Settings
from integrations.shopify import NOT_FOUND, ShopifyClient, make_order_lookup_action
from tests.fakes.shopify import API_PATH, FakeShopify
from workflows.actions import Action, ActionContext

TOKEN = "shpat_test"


def ctx(**contact: str) -> ActionContext:
    return ActionContext(
        run_id=3, step_id="lookup", idempotency_key="3:lookup", context={"contact": contact}
    )


@pytest.fixture
async def shop() -> AsyncIterator[FakeShopify]:
    fake = FakeShopify(TOKEN)
    async with fake:
        fake.add_order(
            "#1001",
            email="Ana@Example.com",
            phone="+44 7700 900123",
            fulfillment="PARTIALLY_FULFILLED",
            items=[("Blue mug", 2), ("Tea", 1)],
            tracking=[("1Z999", "https://track.example/1Z999", "UPS")],
        )
        fake.add_order("#1002", email="bob@example.com", cancelled=True, financial="REFUNDED")
        fake.add_order("#10010", email="ana@example.com")
        yield fake


@pytest.fixture
def lookup(
    shop: FakeShopify, http: aiohttp.ClientSession, make_settings: Callable[..., Settings]
) -> Action:
    settings = make_settings(SHOPIFY_API_BASE_URL=shop.url, SHOPIFY_ACCESS_TOKEN=TOKEN)
    return make_order_lookup_action(ShopifyClient(http, settings, timeout_s=2))


async def test_found_by_contact_email(lookup: Action, shop: FakeShopify) -> None:
    result = await lookup({"order_number": "1001"}, ctx(email=" ana@example.COM"))
    assert result.outcome == "success", result.reason
    assert result.data == {
        "order_name": "#1001",
        "status": "open",
        "financial_status": "paid",
        "fulfillment_status": "partially_fulfilled",
        "created_at": "2026-01-02T10:00:00Z",
        "items": [{"name": "Blue mug", "quantity": 2}, {"name": "Tea", "quantity": 1}],
        "tracking": [{"number": "1Z999", "url": "https://track.example/1Z999", "company": "UPS"}],
        "tracking_numbers": ["1Z999"],
        "tracking_links": ["https://track.example/1Z999"],
    }
    (got,) = shop.received(API_PATH)
    assert got.headers["X-Shopify-Access-Token"] == TOKEN
    assert got.json()["variables"] == {"query": "name:#1001"}


async def test_found_by_phone_in_another_format(lookup: Action) -> None:
    result = await lookup({"order_number": "#1001", "phone": "07700 900123"}, ctx())
    assert result.outcome == "success"


async def test_cancelled_order_status(lookup: Action) -> None:
    result = await lookup({"order_number": "1002", "email": "bob@example.com"}, ctx())
    assert result.data["status"] == "cancelled"
    assert result.data["financial_status"] == "refunded"
    assert result.data["tracking_numbers"] == []


async def test_not_found_and_not_theirs_look_the_same(lookup: Action) -> None:
    missing = await lookup({"order_number": "5555"}, ctx(email="ana@example.com"))
    not_theirs = await lookup({"order_number": "1002"}, ctx(email="ana@example.com"))
    assert missing.outcome == not_theirs.outcome == "declined"
    assert missing.reason == not_theirs.reason == NOT_FOUND
    assert missing.data == not_theirs.data == {}


async def test_loose_search_match_is_not_taken(lookup: Action) -> None:
    # Shopify's name:#100 also finds #1001 and #10010; only an exact name counts.
    result = await lookup({"order_number": "100"}, ctx(email="ana@example.com"))
    assert result.outcome == "declined"


@pytest.mark.parametrize("number", [None, "", "#", "10 01; DROP", "x" * 60])
async def test_bad_order_number_is_declined(
    lookup: Action, shop: FakeShopify, number: object
) -> None:
    result = await lookup({"order_number": number}, ctx(email="ana@example.com"))
    assert result.outcome == "declined"
    assert shop.requests == []


async def test_no_identity_is_declined(lookup: Action, shop: FakeShopify) -> None:
    result = await lookup({"order_number": "1001"}, ctx())
    assert result.outcome == "declined"
    assert shop.requests == []


async def test_throttled_is_failure(lookup: Action, shop: FakeShopify) -> None:
    shop.throttle_next()
    result = await lookup({"order_number": "1001"}, ctx(email="ana@example.com"))
    assert result.outcome == "failure"
    assert result.reason == "shopify is throttling requests"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, "shopify is throttling requests (HTTP 429)"),
        (503, "shopify answered HTTP 503"),
        (403, "shopify refused the access token (HTTP 403)"),
    ],
)
async def test_http_errors_are_failure(
    lookup: Action, shop: FakeShopify, status: int, reason: str
) -> None:
    shop.fail_next(status)
    result = await lookup({"order_number": "1001"}, ctx(email="ana@example.com"))
    assert (result.outcome, result.reason) == ("failure", reason)


async def test_timeout_is_failure(
    shop: FakeShopify, http: aiohttp.ClientSession, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(SHOPIFY_API_BASE_URL=shop.url, SHOPIFY_ACCESS_TOKEN=TOKEN)
    lookup = make_order_lookup_action(ShopifyClient(http, settings, timeout_s=0.1))
    shop.slow_next(1.0)
    result = await lookup({"order_number": "1001"}, ctx(email="ana@example.com"))
    assert (result.outcome, result.reason) == ("failure", "shopify timed out")


async def test_wrong_token_is_failure_and_never_logged(
    shop: FakeShopify,
    http: aiohttp.ClientSession,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(
        SHOPIFY_API_BASE_URL=shop.url, SHOPIFY_ACCESS_TOKEN="shpat_wrong_SECRET"
    )
    lookup = make_order_lookup_action(ShopifyClient(http, settings))
    with caplog.at_level(logging.DEBUG):
        result = await lookup({"order_number": "1001"}, ctx(email="ana@example.com"))
    assert result.outcome == "failure"
    assert "HTTP 401" in (result.reason or "")
    assert caplog.records
    assert "shpat_wrong_SECRET" not in caplog.text
    assert "shpat_wrong_SECRET" not in repr(settings)


async def test_not_configured(
    http: aiohttp.ClientSession, make_settings: Callable[..., Settings]
) -> None:
    lookup = make_order_lookup_action(
        ShopifyClient(http, make_settings(SHOPIFY_SHOP="s.myshopify.com"))
    )
    result = await lookup({"order_number": "1001"}, ctx(email="ana@example.com"))
    assert (result.outcome, result.reason) == ("failure", "shopify is not configured")


def test_endpoint_defaults_to_the_shop_domain(
    http: aiohttp.ClientSession, make_settings: Callable[..., Settings]
) -> None:
    client = ShopifyClient(
        http, make_settings(SHOPIFY_SHOP="acme.myshopify.com", SHOPIFY_ACCESS_TOKEN="t")
    )
    assert client.endpoint == "https://acme.myshopify.com/admin/api/2025-01/graphql.json"
