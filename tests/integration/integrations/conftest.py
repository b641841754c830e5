"""Shared fixtures: one aiohttp session per test, settings pointing at loopback fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.core.config import Settings
from integrations.outbound_http import OutboundHttp

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def outbound() -> AsyncIterator[OutboundHttp]:
    """The guarded session for workflow and setting URLs, with the loopback fakes allowed."""
    async with OutboundHttp(LOOPBACK) as guarded:
        yield guarded


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Settings built only from the given values (the environment and .env are ignored)."""

    def build(**values: Any) -> Settings:
        return Settings(_env_file=None, **values)

    for name in (
        "SHOPIFY_SHOP",
        "SHOPIFY_ACCESS_TOKEN",
        "STRIPE_API_KEY",
        "SMTP_HOST",
        "AI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    return build
