"""URLs from workflows and settings reach only checked, public (or allow-listed) addresses.

DNS rebinding is played by a real resolver object that answers a public address first
and 127.0.0.1 afterwards; IPv6 transition addresses are judged by the IPv4 they carry;
redirect hops are checked like the first request.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.errors import PermanentDeliveryError, UnavailableError
from integrations.ai import OpenAICompatibleProvider, generate_reply
from integrations.http_request import make_http_request_action
from integrations.net_guard import DestinationRefused, GuardedResolver, check_url
from integrations.outbound_http import OutboundHttp
from integrations.webhook import WebhookSender
from tests.fakes.base import FakeServer, Recorded
from tests.fakes.openai import PATH, FakeOpenAI
from workflows.actions import ActionContext

PUBLIC = "93.184.216.34"
CTX = ActionContext(run_id=1, step_id="call", idempotency_key="run-1:call")


def ai_settings(base_url: str, **values: Any) -> Settings:
    """Settings with only the AI endpoint (the environment and .env are ignored)."""
    return Settings(_env_file=None, AI_API_BASE_URL=base_url, AI_API_KEY="sk-fake", **values)


def _answer(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": 0,
    }


class RebindingResolver(AbstractResolver):
    """Answers a public address to the first question and 127.0.0.1 to every later one."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [_answer(host, PUBLIC if len(self.asked) == 1 else "127.0.0.1", port)]

    async def close(self) -> None:
        return None


class StaticResolver(AbstractResolver):
    """A fixed table of names to addresses; unknown names do not resolve."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(f"{host} does not resolve")
        return [_answer(host, self.table[host], port)]

    async def close(self) -> None:
        return None


class Internal(FakeServer):
    """A loopback service nothing outbound may reach."""

    def __init__(self) -> None:
        super().__init__()

        async def secret(request: web.Request, recorded: Recorded) -> web.Response:
            return web.Response(text="internal secret")

        self.route("*", "/{tail:.*}", secret)


@pytest.fixture
async def internal() -> AsyncIterator[Internal]:
    async with Internal() as server:
        yield server


async def test_webhook_is_not_delivered_to_a_rebound_address(internal: Internal) -> None:
    resolver = RebindingResolver()
    async with OutboundHttp([], resolver=resolver) as http:
        sender = WebhookSender(http, timeout_s=5, clock=FakeClock())
        with pytest.raises(UnavailableError, match="unreachable"):
            await sender.deliver(f"http://rebind.test:{internal.port}/hook", {}, delivery_id="d")
    assert resolver.asked == ["rebind.test", "rebind.test"]
    assert internal.requests == []


async def test_http_request_does_not_reach_a_rebound_address(internal: Internal) -> None:
    resolver = RebindingResolver()
    async with OutboundHttp([], resolver=resolver) as http:
        action = make_http_request_action(http, default_timeout_s=5)
        result = await action({"url": f"http://rebind.test:{internal.port}/admin"}, CTX)
    assert result.outcome == "failure"
    assert "internal secret" not in str(result.data)
    assert resolver.asked == ["rebind.test", "rebind.test"]
    assert internal.requests == []


TRANSITION_FORMS = [
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:0:7f00:1",  # IPv4-translated
    "64:ff9b::7f00:1",  # NAT64 well-known prefix -> 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 -> 169.254.169.254
    "64:ff9b:1::7f00:1",  # local-use NAT64, /96 placement
    "64:ff9b:1:7f00:0:100::",  # local-use NAT64, /48 placement
    "2002:7f00:1::",  # 6to4 -> 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 -> 169.254.169.254
]


@pytest.mark.parametrize("address", TRANSITION_FORMS)
async def test_transition_literals_are_refused(address: str) -> None:
    with pytest.raises(DestinationRefused, match="private or reserved"):
        await check_url(f"http://[{address}]:8080/", [])


@pytest.mark.parametrize("address", TRANSITION_FORMS)
async def test_transition_answers_are_dropped_at_connect(address: str) -> None:
    resolver = GuardedResolver([], inner=StaticResolver({"hook.test": address}))
    with pytest.raises(OSError, match="private or reserved"):
        await resolver.resolve("hook.test", 443)


async def test_teredo_is_judged_by_its_server_and_client() -> None:
    await check_url("https://[2001:0:808:808::f7f7:f7f7]/hook", [])  # server and client 8.8.8.8
    private_server = "2001:0:a00:1::f7f7:f7f7"  # server 10.0.0.1, client 8.8.8.8
    loopback_client = "2001:0:808:808::80ff:fffe"  # server 8.8.8.8, client 127.0.0.1
    for address in (private_server, loopback_client):
        with pytest.raises(DestinationRefused, match="private or reserved"):
            await check_url(f"http://[{address}]/", [])
        resolver = GuardedResolver([], inner=StaticResolver({"hook.test": address}))
        with pytest.raises(OSError, match="private or reserved"):
            await resolver.resolve("hook.test", 443)


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:{port}", "http://inner.test:{port}", "http://[64:ff9b::7f00:1]:{port}"],
)
async def test_redirect_from_an_allowed_host_to_loopback_is_refused(
    internal: Internal, target: str
) -> None:
    location = target.format(port=internal.port) + PATH
    front = FakeOpenAI()
    front.fail_next(307, headers={"Location": location})
    resolver = StaticResolver({"ai.test": "127.0.0.1", "inner.test": "127.0.0.1"})
    async with front, OutboundHttp(["ai.test"], resolver=resolver) as http:
        provider = OpenAICompatibleProvider(http, ai_settings(f"http://ai.test:{front.port}/v1"))
        reply = await generate_reply(provider, "x", [], "later")
    assert len(front.received(PATH)) == 1
    assert internal.requests == []
    assert reply.used_fallback
    assert "refused" in (reply.reason or "")


async def test_ai_endpoint_on_loopback_needs_the_allow_list() -> None:
    async with FakeOpenAI() as ai, OutboundHttp([]) as http:
        provider = OpenAICompatibleProvider(http, ai_settings(f"{ai.url}/v1"))
        reply = await generate_reply(provider, "x", [], "later")
    assert reply.used_fallback
    assert "RELAYBOT_WEBHOOK_ALLOWED_HOSTS" in (reply.reason or "")
    assert ai.requests == []


async def test_refused_webhook_is_permanent() -> None:
    async with OutboundHttp([]) as http:
        sender = WebhookSender(http, clock=FakeClock())
        with pytest.raises(PermanentDeliveryError, match="private or reserved"):
            await sender.deliver("http://[64:ff9b::a9fe:a9fe]/latest/", {}, delivery_id="d")
