"""Widget defaults that must be explicit: the local demo origins only in demo mode, and a
warning (once) when a proxy's X-Forwarded-For arrives but the proxy is not trusted."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.core.config import Settings
from channels.widget.component import setup_widget
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
LOCAL_DEMO = ("http://localhost:8080", "http://127.0.0.1:8080")
SHOP = "https://shop.example"

Client = TestClient[Any, Any]


@asynccontextmanager
async def widget_app(settings: Settings, clock: FakeClock) -> AsyncIterator[Client]:
    app = create_app(settings, clock=clock, components=[setup_widget], background=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def new_session(client: Client, **headers: str) -> int:
    resp = await client.post("/widget/session", json={}, headers=headers)
    return resp.status


@pytest.mark.parametrize("origin", LOCAL_DEMO)
async def test_a_deployment_does_not_accept_the_local_demo_origins(
    sqlite_url: str, clock: FakeClock, origin: str
) -> None:
    settings = make_settings(sqlite_url, RELAYBOT_PUBLIC_URL="https://chat.example.com")
    async with widget_app(settings, clock) as client:
        assert await new_session(client, Origin=origin) == 403
        assert await new_session(client, Origin="https://chat.example.com") == 200


@pytest.mark.parametrize("origin", LOCAL_DEMO)
async def test_the_demo_accepts_the_local_demo_origins(
    sqlite_url: str, clock: FakeClock, origin: str
) -> None:
    settings = make_settings(
        sqlite_url, RELAYBOT_PUBLIC_URL="https://chat.example.com", RELAYBOT_DEMO=True
    )
    async with widget_app(settings, clock) as client:
        assert await new_session(client, Origin=origin) == 200


def test_make_run_serves_in_demo_mode() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    serve = [line for line in recipe.splitlines() if "relaybot serve" in line]
    assert len(serve) == 1
    assert re.search(r"\bRELAYBOT_DEMO=true\b", serve[0])


def proxy_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "X-Forwarded-For" in r.getMessage()
    ]


async def test_an_untrusted_proxy_is_warned_about_once(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings = make_settings(sqlite_url, RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP])
    async with widget_app(settings, clock) as client:
        assert await new_session(client, Origin=SHOP) == 200
        assert proxy_warnings(caplog) == []
        for visitor in ("203.0.113.7", "198.51.100.9", "203.0.113.7"):
            assert await new_session(client, Origin=SHOP, **{"X-Forwarded-For": visitor}) == 200
    warnings = proxy_warnings(caplog)
    assert len(warnings) == 1
    assert "RELAYBOT_TRUST_PROXY" in warnings[0]


async def test_a_trusted_proxy_is_not_warned_about(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings = make_settings(
        sqlite_url, RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP], RELAYBOT_TRUST_PROXY=True
    )
    async with widget_app(settings, clock) as client:
        assert await new_session(client, Origin=SHOP, **{"X-Forwarded-For": "203.0.113.7"}) == 200
    assert proxy_warnings(caplog) == []


async def test_a_client_cannot_dodge_the_session_limit_with_its_own_forwarded_for(
    sqlite_url: str, clock: FakeClock
) -> None:
    """Behind a trusted proxy the limit keys on the entry the proxy added (the last one)."""
    settings = make_settings(
        sqlite_url, RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP], RELAYBOT_TRUST_PROXY=True
    )
    async with widget_app(settings, clock) as client:
        statuses = [
            await new_session(
                client, Origin=SHOP, **{"X-Forwarded-For": f"10.0.{i}.1, 203.0.113.7"}
            )
            for i in range(61)
        ]
        assert statuses[:60] == [200] * 60
        assert statuses[60] == 429
        other = await new_session(
            client, Origin=SHOP, **{"X-Forwarded-For": "10.0.0.1, 198.51.100.9"}
        )
        assert other == 200
