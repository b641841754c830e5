"""Rage clicks, form frustration and idle reach the server; a proactive message opens the panel."""

from __future__ import annotations

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.echo_bot import EchoBot

pytestmark = pytest.mark.browser


async def demo(context: BrowserContext, bot: EchoBot) -> Page:
    page = await context.new_page()
    await page.goto(bot.server.url + "/")
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    return page


def event_types(bot: EchoBot) -> list[str]:
    return [event_type for _, event_type, _ in bot.events]


async def test_rage_clicks_are_reported_with_the_element(
    context: BrowserContext, bot: EchoBot
) -> None:
    page = await demo(context, bot)
    box = await page.locator("#apply-coupon").bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + 20, box["y"] + 10, click_count=4)
    await bot.wait_until(lambda: "visitor.rage_click" in event_types(bot))
    visitor, _, data = bot.events[0]
    assert data["selector"] == "#apply-coupon"
    assert data["url"] == bot.server.url + "/"
    assert data["details"]["clicks"] == 4
    assert visitor == await page.evaluate("RelaybotWidget.visitorId")


async def test_failed_checkouts_bring_a_proactive_offer_of_help(
    context: BrowserContext, bot: EchoBot
) -> None:
    page = await demo(context, bot)
    await page.locator("#name").fill("Ana")
    await page.locator("#card").fill("1234")
    # Leaving the card field fails validation once; each failed "Pay now" fails it again.
    pay = page.get_by_role("button", name="Pay now")
    for _ in range(2):
        await pay.click()
        await expect(page.locator("#result")).to_have_text("Please fix the highlighted fields.")
    await bot.wait_until(lambda: "visitor.form_frustration" in event_types(bot))
    _, _, data = bot.events[0]
    assert data["url"] == bot.server.url + "/"
    assert data["selector"] == "#card"
    assert data["details"]["reason"] == "validation_failed"
    assert data["details"]["count"] == 3
    assert data["details"]["form"] == "#checkout"

    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel).to_be_visible()
    await expect(panel.get_by_text("Having trouble with checkout?")).to_be_visible()
    await panel.get_by_role("button", name="Yes, help me pay").click()
    await expect(panel.get_by_text("Card numbers have 16 digits")).to_be_visible()
    assert [m.payload for m in bot.received] == ["checkout_help"]


async def test_clearing_and_refilling_a_field_is_frustration(
    context: BrowserContext, bot: EchoBot
) -> None:
    page = await demo(context, bot)
    zip_code = page.locator("#zip")
    for attempt in ("1234", "12345", "9021"):
        await zip_code.fill(attempt)
        await zip_code.fill("")
    await zip_code.fill("90210")
    await bot.wait_until(lambda: "visitor.form_frustration" in event_types(bot))
    _, _, data = bot.events[0]
    assert data["selector"] == "#zip"
    assert data["details"]["reason"] == "cleared_and_refilled"
    assert data["details"]["field"] == "zip"
    await expect(page.get_by_text("Having trouble with checkout?")).to_be_visible()


async def test_idle_visitors_are_reported(context: BrowserContext, bot: EchoBot) -> None:
    async def idle_page(_request: web.Request) -> web.Response:
        return web.Response(
            text="<!doctype html><title>idle</title><p>Reading…</p>"
            '<script src="/widget/widget.js" data-idle-seconds="1"></script>',
            content_type="text/html",
        )

    bot.extra_routes.append(web.get("/idle", idle_page))
    await bot.server.stop()
    await bot.server.start()
    page = await context.new_page()
    await page.goto(bot.server.url + "/idle")
    await bot.wait_until(lambda: "visitor.idle" in event_types(bot))
    _, _, data = bot.events[0]
    assert data["url"] == bot.server.url + "/idle"
    assert data["details"] == {"seconds": 1}
