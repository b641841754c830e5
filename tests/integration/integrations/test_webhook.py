"""Signed webhook delivery against a loopback receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.core.clock import FakeClock
from bot.core.errors import (
    BadRequestError,
    PermanentDeliveryError,
    RateLimitedError,
    UnavailableError,
)
from integrations.outbound_http import OutboundHttp
from integrations.webhook import WebhookSender, verify_signature
from tests.fakes.base import FakeServer, Recorded


class Receiver(FakeServer):
    def __init__(self) -> None:
        super().__init__()

        async def hook(request: web.Request, recorded: Recorded) -> web.Response:
            return web.json_response({"ok": True})

        self.route("POST", "/hook", hook)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    fake = Receiver()
    async with fake:
        yield fake


def sender(http: OutboundHttp, clock: FakeClock, timeout: float = 5.0) -> WebhookSender:
    return WebhookSender(http, timeout_s=timeout, clock=clock)


async def test_delivers_signed_json_with_stable_delivery_id(
    outbound: OutboundHttp, receiver: Receiver
) -> None:
    clock = FakeClock()
    webhook = sender(outbound, clock)
    url = f"{receiver.url}/hook"
    result = await webhook.deliver(
        url, {"lead": 7}, delivery_id="dlv-1", secret="whsec", headers={"X-Team": "vip"}
    )
    assert result.status == 200
    receiver.fail_next(503)
    with pytest.raises(UnavailableError):
        await webhook.deliver(url, {"lead": 7}, delivery_id="dlv-1", secret="whsec")
    first, retry = receiver.received("/hook")
    assert first.headers["X-Relaybot-Delivery"] == retry.headers["X-Relaybot-Delivery"] == "dlv-1"
    assert first.headers["X-Team"] == "vip"
    assert first.headers["Content-Type"] == "application/json"
    assert first.json() == {"lead": 7}
    assert verify_signature("whsec", first.headers["X-Relaybot-Signature"], first.body, clock.now())
    assert not verify_signature(
        "other", first.headers["X-Relaybot-Signature"], first.body, clock.now()
    )


async def test_unsigned_without_secret_and_reserved_headers_not_overridden(
    outbound: OutboundHttp, receiver: Receiver
) -> None:
    await sender(outbound, FakeClock()).deliver(
        f"{receiver.url}/hook",
        [1, 2],
        delivery_id="d",
        headers={"X-Relaybot-Delivery": "spoof", "Content-Type": "text/plain"},
    )
    (got,) = receiver.received("/hook")
    assert "X-Relaybot-Signature" not in got.headers
    assert got.headers["X-Relaybot-Delivery"] == "d"
    assert got.headers["Content-Type"] == "application/json"


async def test_429_carries_retry_after(outbound: OutboundHttp, receiver: Receiver) -> None:
    receiver.fail_next(429, headers={"Retry-After": "12"})
    with pytest.raises(RateLimitedError) as info:
        await sender(outbound, FakeClock()).deliver(f"{receiver.url}/hook", {}, delivery_id="d")
    assert info.value.retry_after == 12.0


@pytest.mark.parametrize("status", [400, 404, 410, 302])
async def test_other_statuses_are_bad_requests(
    outbound: OutboundHttp, receiver: Receiver, status: int
) -> None:
    receiver.fail_next(status, headers={"Location": "http://169.254.169.254/"})
    with pytest.raises(BadRequestError, match=f"HTTP {status}"):
        await sender(outbound, FakeClock()).deliver(f"{receiver.url}/hook", {}, delivery_id="d")
    assert len(receiver.requests) == 1


async def test_timeout_is_unavailable(outbound: OutboundHttp, receiver: Receiver) -> None:
    receiver.slow_next(1.0)
    with pytest.raises(UnavailableError, match="timed out"):
        await sender(outbound, FakeClock(), timeout=0.1).deliver(
            f"{receiver.url}/hook", {}, delivery_id="d"
        )


async def test_connection_refused_is_unavailable(outbound: OutboundHttp) -> None:
    fake = Receiver()
    async with fake:
        url = f"{fake.url}/hook"
    with pytest.raises(UnavailableError, match="unreachable"):
        await sender(outbound, FakeClock()).deliver(url, {}, delivery_id="d")


async def test_loopback_refused_unless_allow_listed(
    outbound: OutboundHttp, receiver: Receiver
) -> None:
    async with OutboundHttp([]) as guarded:
        strict = WebhookSender(guarded, clock=FakeClock())
        with pytest.raises(PermanentDeliveryError, match="private"):
            await strict.deliver(f"{receiver.url}/hook", {}, delivery_id="d")
    assert receiver.requests == []
