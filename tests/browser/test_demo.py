"""The demo as ``make run`` serves it (demo mode, every example workflow) ends well.

Happy paths in Chromium: the support menu finds order #1001 in the demo shop; the
checkout offer opens beside the form, "Yes, please help" hands over to a demo agent, who
accepts on the demo agent page and answers, named in the widget; a rage click brings an
offer. With ``RELAYBOT_SCREENSHOTS=1`` the screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.app.app import create_app
from bot.pipeline.services import SERVICES
from tests.browser.conftest import loopback_only
from tests.browser.real_app import EXAMPLES, RunningApp
from tests.conftest import make_settings

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
OFFER = "Having trouble with checkout? I can help you finish your order."
RAGE_OFFER = "Looks like something isn't responding. Can I help?"


@pytest.fixture
async def demo_app(sqlite_url: str) -> AsyncIterator[RunningApp]:
    """The app in demo mode with every shipped example workflow, on 127.0.0.1 port 0."""
    settings = make_settings(
        sqlite_url,
        RELAYBOT_DEMO=True,
        RELAYBOT_WORKFLOWS_DIR=str(EXAMPLES),
        RELAYBOT_SECRET_KEY="browser-demo-key",
        RELAYBOT_POLL_INTERVAL=0.05,
    )
    app = create_app(settings, background=True)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield RunningApp(f"http://{host}:{port}", app[SERVICES])
    finally:
        await runner.cleanup()


async def visitor(browser: Browser, app: RunningApp, **options: Any) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(**(options or {"viewport": DESKTOP}))
    await loopback_only(context)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(app.url + "/")
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    return context, page


async def shoot(page: Page, tmp_path: Path, name: str) -> None:
    await page.locator(".rbw-panel").evaluate(
        "el => Promise.all(el.getAnimations().map(a => a.finished))"
    )
    shot = tmp_path / name
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("RELAYBOT_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS / name)


def apart(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    assert a is not None
    assert b is not None
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def frustrate(page: Page) -> None:
    await page.locator("#name").fill("Ana")
    await page.locator("#card").fill("1234")
    pay = page.get_by_role("button", name="Pay now")
    for _ in range(2):
        await pay.click()
        await expect(page.locator("#result")).to_have_text("Please fix the highlighted fields.")


async def test_where_is_my_order_finds_order_1001_in_the_demo_shop(
    browser: Browser, demo_app: RunningApp, tmp_path: Path
) -> None:
    context, page = await visitor(browser, demo_app)
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Pinecone Support")
    box = page.get_by_role("textbox", name="Message")
    await box.fill("Hi")
    await box.press("Enter")
    await panel.get_by_role("button", name="Where is my order?").click()
    answer = page.locator(".rbw-input")
    await expect(answer).to_have_attribute("type", "email")
    await answer.fill("ana@example.com")
    await answer.press("Enter")
    await expect(panel.get_by_text("And the order number?")).to_be_visible()
    await answer.fill("#1001")
    await answer.press("Enter")
    found = panel.get_by_text("Order #1001 is fulfilled. Tracking:")
    await expect(found).to_be_visible()
    await expect(panel.get_by_text("Is there anything else I can help with?")).to_be_visible()
    await shoot(page, tmp_path, "demo-order-found.png")
    assert page.errors == []  # type: ignore[attr-defined]
    await context.close()


async def test_the_checkout_offer_opens_beside_the_form_and_a_demo_agent_answers_by_name(
    browser: Browser, demo_app: RunningApp, tmp_path: Path
) -> None:
    context, page = await visitor(browser, demo_app)
    await frustrate(page)
    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel.get_by_text(OFFER)).to_be_visible()
    assert apart(await page.locator("#checkout").bounding_box(), await panel.bounding_box())

    await panel.get_by_role("button", name="Yes, please help").click()
    await expect(panel.get_by_text("Card numbers are 13 to 19 digits", exact=False)).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    await box.fill("It keeps saying my card number is wrong")
    await box.press("Enter")

    agent = await context.new_page()
    await agent.goto(demo_app.url + "/demo/agent")
    await expect(agent.get_by_text("It keeps saying my card number is wrong")).to_be_visible()
    await agent.get_by_role("button", name="Accept as Maya Lopez").click()
    await expect(panel.get_by_text("A colleague is joining the chat now.")).to_be_visible()
    reply = agent.get_by_role("textbox", name="Reply as Maya Lopez")
    await reply.fill("Hi, I'm Maya. Card numbers have 16 digits here; let's try it together.")
    await reply.press("Enter")

    said = panel.locator(".rbw-msg--agent")
    await expect(said.locator(".rbw-bubble")).to_have_text(
        "Hi, I'm Maya. Card numbers have 16 digits here; let's try it together."
    )
    await expect(said.locator(".rbw-name")).to_have_text("Maya Lopez")
    await expect(said.locator(".rbw-initials")).to_have_text("ML")
    # the notice comes right before the agent's first reply, after the bot's hand-over line
    lines = await panel.locator(".rbw-log > *").evaluate_all(
        "els => els.map(e => e.classList.contains('rbw-notice') ? 'notice: ' + e.textContent"
        " : (e.querySelector('.rbw-bubble') || e).textContent)"
    )
    assert lines[-3:] == [
        "A colleague is joining the chat now.",
        "notice: You are now talking to Maya Lopez",
        "Hi, I'm Maya. Card numbers have 16 digits here; let's try it together.",
    ]
    await page.bring_to_front()
    await shoot(page, tmp_path, "demo-handoff.png")
    assert page.errors == []  # type: ignore[attr-defined]
    await context.close()


async def test_on_a_phone_the_checkout_offer_is_a_small_prompt_first(
    browser: Browser, demo_app: RunningApp, tmp_path: Path
) -> None:
    context, page = await visitor(browser, demo_app, **PHONE)
    await frustrate(page)
    prompt = page.locator(".rbw-prompt")
    await expect(prompt).to_contain_text(OFFER)
    await expect(page.get_by_role("dialog")).to_be_hidden()
    size = await prompt.bounding_box()
    assert size is not None
    assert size["width"] <= 300
    assert size["height"] <= 150
    await shoot(page, tmp_path, "demo-phone-prompt.png")
    await prompt.get_by_text(OFFER).click()
    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel.get_by_role("button", name="Yes, please help")).to_be_visible()
    await expect(prompt).to_be_hidden()
    await context.close()


async def test_a_rage_click_brings_an_offer_that_reaches_a_demo_agent(
    browser: Browser, demo_app: RunningApp, tmp_path: Path
) -> None:
    context, page = await visitor(browser, demo_app)
    coupon = page.locator("#apply-coupon")
    spot = await coupon.bounding_box()
    assert spot is not None
    await page.mouse.click(spot["x"] + 20, spot["y"] + 10, click_count=4)
    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel.get_by_text(RAGE_OFFER)).to_be_visible()
    assert apart(await coupon.bounding_box(), await panel.bounding_box())
    await shoot(page, tmp_path, "demo-rage-click.png")
    await panel.get_by_role("button", name="Yes, please help").click()

    agent = await context.new_page()
    await agent.goto(demo_app.url + "/demo/agent")
    await agent.get_by_role("button", name="Accept as Maya Lopez").click()
    await expect(panel.get_by_text("Maya Lopez is joining the chat now.")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    await context.close()
