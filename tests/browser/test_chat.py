"""Chatting through the demo page: choices, a validated email question, history, keyboard."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.echo_bot import EchoBot

pytestmark = pytest.mark.browser


async def open_demo(context: BrowserContext, bot: EchoBot) -> Page:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(bot.server.url + "/")
    await expect(page.locator(".rbw-launcher")).to_be_visible()
    page.set_default_timeout(15_000)
    page.errors = errors  # type: ignore[attr-defined]
    return page


async def test_chat_with_choices_and_an_email_question_survives_a_reload(
    context: BrowserContext, bot: EchoBot
) -> None:
    page = await open_demo(context, bot)
    launcher = page.get_by_role("button", name="Open chat")
    await launcher.click()
    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    await expect(box).to_be_focused()
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")

    bot.hold = asyncio.Event()
    await box.fill("Hello there")
    await box.press("Enter")
    await expect(page.locator(".rbw-msg--in .rbw-bubble")).to_have_text(["Hello there"])
    await expect(page.get_by_role("status", name="Support is typing")).to_be_visible()
    bot.hold.set()
    await expect(page.get_by_text("You wrote “Hello there”. How can we help?")).to_be_visible()
    await expect(page.get_by_role("status", name="Support is typing")).to_be_hidden()

    await page.get_by_role("button", name="Track my order").click()
    await expect(page.get_by_text("What's the email on your order?")).to_be_visible()
    await expect(page.get_by_role("button", name="Track my order")).to_have_count(0)
    answer = page.locator(".rbw-input")
    await expect(answer).to_have_attribute("type", "email")
    await expect(answer).to_have_attribute("autocomplete", "email")

    sent_before = len(bot.received)
    await answer.fill("ana at example")
    await answer.press("Enter")
    await expect(answer).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".rbw-hint")).to_contain_text("valid email address")
    assert len(bot.received) == sent_before
    await answer.fill("ana@example.com")
    await expect(answer).not_to_have_attribute("aria-invalid", "true")
    await answer.press("Enter")
    await expect(page.get_by_text("Order updates will go to ana@example.com.")).to_be_visible()
    await expect(answer).to_have_attribute("type", "text")

    texts = await page.locator(".rbw-bubble").all_inner_texts()
    await page.reload()
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    await expect(page.get_by_role("dialog", name="Pinecone Support")).to_be_visible()
    await expect(page.locator(".rbw-bubble")).to_have_text(texts)
    assert texts == [
        "Hello there",
        "You wrote “Hello there”. How can we help?",
        "Track my order",
        "Sure. What's the email on your order?",
        "ana@example.com",
        "Thanks! Order updates will go to ana@example.com.",
    ]
    assert len({m.external_conversation_id for m in bot.received}) == 1
    assert page.errors == []  # type: ignore[attr-defined]


async def test_the_widget_works_from_the_keyboard(context: BrowserContext, bot: EchoBot) -> None:
    page = await open_demo(context, bot)
    launcher = page.locator(".rbw-launcher")
    await launcher.focus()
    await page.keyboard.press("Enter")
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    await expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    await page.keyboard.type("hi")
    await page.keyboard.press("Enter")
    choice = page.get_by_role("button", name="Talk to a human")
    await expect(choice).to_be_visible()
    await choice.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("You wrote “human”. How can we help?")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await bot.wait_until(lambda: [m.payload for m in bot.received] == [None, "human"])
