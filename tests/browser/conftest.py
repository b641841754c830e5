"""The widget served on loopback with a tiny echo bot, driven in headless Chromium."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, async_playwright

from tests.browser.echo_bot import EchoBot
from tests.browser.real_app import real_app  # noqa: F401  (fixture)

CHROMIUM = Path(os.environ.get("RELAYBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_PRESENT = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_required() -> bool:
    """CI sets ``RELAYBOT_REQUIRE_BROWSER=1``: a missing Chromium fails instead of skipping."""
    value = os.environ.get("RELAYBOT_REQUIRE_BROWSER", "").strip().lower()
    return value not in ("", "0", "false", "no")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM_PRESENT or browser_required():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """An aiohttp app on a fixed loopback port that can go down and come back."""

    def __init__(self, build: Callable[[], web.Application], port: int | None = None) -> None:
        self._build = build
        self.port = port or free_port()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self._build(), shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def bot() -> AsyncIterator[EchoBot]:
    port = free_port()
    echo = EchoBot(origin=f"http://127.0.0.1:{port}")
    server = LiveServer(echo.app, port)
    echo.server = server
    await server.start()
    yield echo
    await server.stop()
    await echo.drain()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_PRESENT:
        pytest.fail(f"{CHROMIUM} is not installed and RELAYBOT_REQUIRE_BROWSER is set")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


async def loopback_only(context: BrowserContext) -> None:
    async def guard(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", guard)


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    await loopback_only(ctx)
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()
