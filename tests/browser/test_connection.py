"""Losing the server and getting it back; the HTTP fallback."""

from __future__ import annotations

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, expect

from tests.browser.echo_bot import EchoBot

pytestmark = pytest.mark.browser

FALLBACK_PAGE = """<!doctype html><html lang="en"><head><title>fallback</title></head>
<body><h1>HTTP only</h1>
<script src="/widget/widget.js" data-title="Support" data-transport="http"></script>
</body></html>"""


async def test_messages_typed_offline_are_sent_after_reconnecting(
    context: BrowserContext, bot: EchoBot
) -> None:
    page = await context.new_page()
    await page.goto(bot.server.url + "/")
    await page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    await box.fill("first")
    await box.press("Enter")
    await expect(page.get_by_text("You wrote “first”. How can we help?")).to_be_visible()

    await bot.server.stop()
    banner = page.locator(".rbw-banner")
    await expect(banner).to_contain_text("Reconnecting")
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "reconnecting")
    await box.fill("typed while offline")
    await box.press("Enter")
    offline = page.locator(".rbw-msg--in").filter(has_text="typed while offline")
    await expect(offline.locator(".rbw-state")).to_have_text(" · Waiting for connection")

    await bot.server.start()
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online", timeout=20_000)
    await expect(banner).to_be_hidden()
    await expect(
        page.get_by_text("You wrote “typed while offline”. How can we help?")
    ).to_be_visible()
    await expect(offline.locator(".rbw-state")).to_have_count(0)
    texts = [m.text for m in bot.received]
    assert texts.count("typed while offline") == 1
    assert texts[0] == "first"


async def test_http_fallback_sends_and_polls(context: BrowserContext, bot: EchoBot) -> None:
    async def fallback(_request: web.Request) -> web.Response:
        return web.Response(text=FALLBACK_PAGE, content_type="text/html")

    bot.extra_routes.append(web.get("/fallback", fallback))
    await bot.server.stop()
    await bot.server.start()
    page = await context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await page.goto(bot.server.url + "/fallback")
    await page.get_by_role("button", name="Open chat").click()
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    box = page.get_by_role("textbox", name="Message")
    await box.fill("over http")
    await box.press("Enter")
    await expect(page.get_by_text("You wrote “over http”. How can we help?")).to_be_visible()
    await page.get_by_role("button", name="Track my order").click()
    await expect(page.locator(".rbw-input")).to_have_attribute("type", "email")
    assert sockets == []
    assert [m.text for m in bot.received] == ["over http", "Track my order"]
