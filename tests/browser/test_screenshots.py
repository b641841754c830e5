"""The panel at desktop and phone sizes.

Screenshots go to pytest's tmp dir; with RELAYBOT_UPDATE_SCREENSHOTS=1 they are also
copied to docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import loopback_only
from tests.browser.echo_bot import EchoBot

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def publish(shot: Path) -> None:
    assert shot.stat().st_size > 10_000
    if os.environ.get("RELAYBOT_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS / shot.name)


async def settled(page: Page) -> None:
    await page.locator(".rbw-panel").evaluate(
        "el => Promise.all(el.getAnimations().map(a => a.finished))"
    )


async def converse(page: Page, bot: EchoBot) -> None:
    await page.goto(bot.server.url + "/")
    await page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    await box.fill("Hi! Where is my order?")
    await box.press("Enter")
    await expect(page.get_by_role("button", name="Track my order")).to_be_visible()
    await settled(page)


async def test_desktop_panel(browser: Browser, bot: EchoBot, tmp_path: Path) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    await loopback_only(ctx)
    page = await ctx.new_page()
    await converse(page, bot)
    await page.locator(".rbw-input").focus()
    shot = tmp_path / "widget-desktop.png"
    await page.screenshot(path=str(shot))
    publish(shot)

    await page.get_by_role("button", name="Track my order").click()
    await expect(page.locator(".rbw-input")).to_have_attribute("type", "email")
    await page.locator(".rbw-input").fill("ana@")
    await page.locator(".rbw-input").press("Enter")
    await expect(page.locator(".rbw-hint")).not_to_be_empty()
    shot = tmp_path / "widget-desktop-email.png"
    await page.screenshot(path=str(shot))
    publish(shot)
    await ctx.close()


async def test_phone_panel(browser: Browser, bot: EchoBot, tmp_path: Path) -> None:
    ctx = await browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    await loopback_only(ctx)
    page = await ctx.new_page()
    await page.goto(bot.server.url + "/")
    closed = tmp_path / "widget-phone-closed.png"
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    await page.screenshot(path=str(closed))
    publish(closed)
    await converse(page, bot)
    panel = await page.locator(".rbw-panel").bounding_box()
    assert panel is not None
    rounded = [round(panel["x"]), round(panel["y"]), round(panel["width"]), round(panel["height"])]
    assert rounded == [0, 0, 375, 667]
    shot = tmp_path / "widget-phone.png"
    await page.screenshot(path=str(shot))
    publish(shot)
    await ctx.close()


async def test_proactive_offer_on_the_checkout(
    browser: Browser, bot: EchoBot, tmp_path: Path
) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    await loopback_only(ctx)
    page = await ctx.new_page()
    await page.goto(bot.server.url + "/")
    await page.locator("#card").fill("1234")
    for _ in range(2):
        await page.get_by_role("button", name="Pay now").click()
    await expect(page.get_by_text("Having trouble with checkout?")).to_be_visible()
    await settled(page)
    shot = tmp_path / "widget-proactive.png"
    await page.screenshot(path=str(shot))
    publish(shot)
    await ctx.close()
