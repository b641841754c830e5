"""The Slack Web API client, built from settings on our shared HTTP session."""

from __future__ import annotations

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.core.errors import ConfigError


def build_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """A client for ``SLACK_API_BASE_URL`` that never retries by itself (the outbox does)."""
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set")
    base_url = settings.slack_api_base_url
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url,
        session=session,
        retry_handlers=[],
    )
