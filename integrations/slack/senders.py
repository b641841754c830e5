"""Outbound Slack calls as plain functions, with Slack's failures mapped to our typed errors.

These are what the outbox runs for its ``slack.*`` kinds: a raised
:class:`~bot.core.errors.RetryableDeliveryError` is retried later (after
``retry_after`` when Slack sent one), a :class:`~bot.core.errors.PermanentDeliveryError`
is given up. The client must be built without retry handlers
(:func:`integrations.slack.client.build_client`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.errors import (
    BadRequestError,
    DeliveryError,
    ForbiddenError,
    RateLimitedError,
    UnavailableError,
)

Blocks = Sequence[dict[str, Any]]

FORBIDDEN = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "cannot_dm_bot",
        "user_disabled",
        "ekm_access_denied",
    }
)
UNREACHABLE = frozenset({"channel_not_found", "user_not_found", "is_archived", "user_disabled"})
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def map_slack_error(exc: SlackApiError) -> DeliveryError:
    """The one place a Slack API failure becomes a relaybot error."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    reason = f"slack: {code or 'http ' + str(status)}"
    if status == 429 or code == "ratelimited":
        return RateLimitedError(reason, _retry_after(getattr(response, "headers", None)))
    if status >= 500 or code in TRANSIENT:
        return UnavailableError(reason)
    if code in FORBIDDEN or status in (401, 403):
        return ForbiddenError(reason, recipient_unreachable=code in UNREACHABLE)
    return BadRequestError(reason, recipient_unreachable=code in UNREACHABLE)


async def call(request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """Await one Web API call, raising only relaybot errors."""
    try:
        return await request
    except SlackApiError as exc:
        raise map_slack_error(exc) from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise UnavailableError(f"slack: {type(exc).__name__}") from exc


async def post_message(
    client: AsyncWebClient,
    channel: str,
    text: str,
    blocks: Blocks | None = None,
    thread_ts: str | None = None,
) -> str:
    """``chat.postMessage``; returns the new message's ``ts``."""
    response = await call(
        client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False
        )
    )
    return str(response["ts"])


async def update_message(
    client: AsyncWebClient, channel: str, ts: str, text: str, blocks: Blocks | None = None
) -> None:
    """``chat.update`` of a message we posted."""
    await call(client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))


async def post_ephemeral(
    client: AsyncWebClient,
    channel: str,
    user: str,
    text: str,
    blocks: Blocks | None = None,
    thread_ts: str | None = None,
) -> None:
    """``chat.postEphemeral``: only ``user`` sees it."""
    await call(
        client.chat_postEphemeral(
            channel=channel, user=user, text=text, blocks=blocks, thread_ts=thread_ts
        )
    )


async def open_dm(client: AsyncWebClient, user: str) -> str:
    """``conversations.open`` with one user; returns the DM channel id."""
    response = await call(client.conversations_open(users=user))
    return str(response["channel"]["id"])


async def send_dm(
    client: AsyncWebClient, user: str, text: str, blocks: Blocks | None = None
) -> str:
    """Open (or reuse) the DM with ``user`` and post into it; returns the message ``ts``."""
    return await post_message(client, await open_dm(client, user), text, blocks)


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str:
    """``chat.getPermalink``: a URL that opens the message (or thread) in Slack."""
    response = await call(client.chat_getPermalink(channel=channel, message_ts=ts))
    return str(response["permalink"])


async def user_email(client: AsyncWebClient, user: str) -> str | None:
    """The e-mail on a user's profile (needs ``users:read.email``), if any."""
    response = await call(client.users_info(user=user))
    user_data: dict[str, Any] = response.get("user") or {}
    email = (user_data.get("profile") or {}).get("email")
    return str(email) if email else None
