"""Outbox senders: Slack's answers mapped to typed errors, no retries inside slack_sdk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import load_settings
from bot.core.errors import BadRequestError, ForbiddenError, RateLimitedError, UnavailableError
from integrations.slack import senders
from integrations.slack.client import build_client
from tests.fakes.slack import FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client_for(fake: FakeSlack, http: aiohttp.ClientSession) -> AsyncWebClient:
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_BASE_URL=fake.url + "/api")
    return build_client(settings, http)


async def test_post_message_returns_ts(fake: FakeSlack, http: aiohttp.ClientSession) -> None:
    client = client_for(fake, http)
    ts = await senders.post_message(client, "C1", "hi", [{"type": "divider"}], thread_ts="1.1")
    assert ts == fake.messages[0]["ts"]
    call = fake.calls("chat.postMessage")[0]
    assert call["thread_ts"] == "1.1"
    assert call["blocks"] == [{"type": "divider"}]


async def test_429_is_rate_limited_with_retry_after(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    fake.rate_limit("chat.postMessage", retry_after=7)
    client = client_for(fake, http)
    with pytest.raises(RateLimitedError) as caught:
        await senders.post_message(client, "C1", "hi")
    assert caught.value.retry_after == 7
    assert len(fake.calls("chat.postMessage")) == 1  # slack_sdk did not retry on its own
    assert await senders.post_message(client, "C1", "hi again")  # the outbox's retry succeeds


async def test_5xx_is_unavailable(fake: FakeSlack, http: aiohttp.ClientSession) -> None:
    fake.fail_next(503, path_contains="chat.update")
    with pytest.raises(UnavailableError):
        await senders.update_message(client_for(fake, http), "C1", "1.1", "x")


async def test_plain_text_5xx_is_unavailable(fake: FakeSlack, http: aiohttp.ClientSession) -> None:
    fake.fail_next(502, body="bad gateway", path_contains="chat.postMessage")
    with pytest.raises(UnavailableError):
        await senders.post_message(client_for(fake, http), "C1", "x")


async def test_not_in_channel_is_forbidden(fake: FakeSlack, http: aiohttp.ClientSession) -> None:
    fake.fail_api("chat.postMessage", "not_in_channel")
    with pytest.raises(ForbiddenError):
        await senders.post_message(client_for(fake, http), "C1", "x")


async def test_channel_not_found_is_bad_request_and_unreachable(
    fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    fake.fail_api("chat.postMessage", "channel_not_found")
    with pytest.raises(BadRequestError) as caught:
        await senders.post_message(client_for(fake, http), "C1", "x")
    assert caught.value.recipient_unreachable


async def test_unreachable_host_is_unavailable(http: aiohttp.ClientSession) -> None:
    async with FakeSlack() as gone:
        url = gone.api_url
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_BASE_URL=url)
    with pytest.raises(UnavailableError):
        await senders.post_message(build_client(settings, http), "C1", "x")


async def test_dm_and_permalink_and_email(fake: FakeSlack, http: aiohttp.ClientSession) -> None:
    fake.add_user("U1", "Ana", email="ana@example.com")
    client = client_for(fake, http)
    await senders.send_dm(client, "U1", "hello")
    assert fake.calls("conversations.open")[0]["users"] == "U1"
    assert fake.calls("chat.postMessage")[0]["channel"] == "DU1"
    assert (await senders.permalink(client, "C1", "1.2")).endswith("/C1/p12")
    assert await senders.user_email(client, "U1") == "ana@example.com"
    await senders.post_ephemeral(client, "C1", "U1", "psst")
    assert fake.calls("chat.postEphemeral")[0]["user"] == "U1"
