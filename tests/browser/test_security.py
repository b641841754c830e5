"""A foreign site and a forged token get nowhere."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, expect

from bot.core.clock import SystemClock
from channels.widget.tokens import TokenSigner, VisitorToken
from tests.browser.conftest import LiveServer, loopback_only
from tests.browser.echo_bot import EchoBot

pytestmark = pytest.mark.browser


async def test_a_foreign_origin_is_refused(context: BrowserContext, bot: EchoBot) -> None:
    page_html = (
        "<!doctype html><title>elsewhere</title><h1>Another site</h1>"
        f'<script src="{bot.server.url}/widget/widget.js"></script>'
    )

    def build() -> web.Application:
        async def index(_request: web.Request) -> web.Response:
            return web.Response(text=page_html, content_type="text/html")

        app = web.Application()
        app.add_routes([web.get("/", index)])
        return app

    elsewhere = LiveServer(build)
    await elsewhere.start()
    try:
        page = await context.new_page()
        await page.goto(elsewhere.url + "/")
        await page.get_by_role("button", name="Open chat").click()
        await expect(page.locator(".rbw")).to_have_attribute("data-status", "refused")
        await expect(page.locator(".rbw-banner")).to_have_text(
            "Chat is not available on this site."
        )
        await expect(page.get_by_role("textbox", name="Message")).to_be_disabled()
        assert bot.channel.hub.count() == 0
        assert bot.received == []
    finally:
        await elsewhere.stop()


async def test_a_forged_token_does_not_open_someone_elses_chat(
    browser: Browser, context: BrowserContext, bot: EchoBot
) -> None:
    victim = await context.new_page()
    await victim.goto(bot.server.url + "/")
    await victim.get_by_role("button", name="Open chat").click()
    box = victim.get_by_role("textbox", name="Message")
    await box.fill("my order 1234 goes to 5 Elm Street")
    await box.press("Enter")
    await expect(victim.get_by_text("You wrote “my order 1234")).to_be_visible()
    victim_id = await victim.evaluate("RelaybotWidget.visitorId")

    forged = TokenSigner("guessed-key", timedelta(days=1)).sign(
        VisitorToken(victim_id, SystemClock().now())
    )
    stored = json.dumps({"token": forged, "visitorId": victim_id, "messages": [], "queue": []})
    attacker_ctx = await browser.new_context()
    await loopback_only(attacker_ctx)
    await attacker_ctx.add_init_script(
        f"localStorage.setItem({json.dumps('relaybot.widget:' + bot.server.url)}, {json.dumps(stored)})"
    )
    try:
        attacker = await attacker_ctx.new_page()
        await attacker.goto(bot.server.url + "/")
        await attacker.get_by_role("button", name="Open chat").click()
        await expect(attacker.locator(".rbw")).to_have_attribute("data-status", "online")
        attacker_id = await attacker.evaluate("RelaybotWidget.visitorId")
        assert attacker_id != victim_id
        await expect(attacker.locator(".rbw-msg")).to_have_count(0)
        await expect(attacker.get_by_text("5 Elm Street")).to_have_count(0)
    finally:
        await attacker_ctx.close()
