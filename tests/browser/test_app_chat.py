"""The demo page against the real app: the support example and the proactive checkout offer."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, WebSocket, expect

from bot.storage.models import Conversation, WorkflowRun
from tests.browser.real_app import RunningApp

pytestmark = pytest.mark.browser

GREETING = "Hi there! I'm the relaybot assistant."
TOPIC = "What can I help you with?"
EMAIL_QUESTION = "Which e-mail address did you use for the order?"
EMAIL_RETRY = "That doesn't look like an e-mail address. Could you type it again?"
ORDER_QUESTION = "And the order number? (it looks like #1001)"
OFFER = "Having trouble with checkout? I can help you finish your order."
TIPS = "Card numbers are 13 to 19 digits"
FORGET_CACHED_MESSAGES = """() => {
  for (const key of Object.keys(localStorage)) {
    const saved = JSON.parse(localStorage.getItem(key));
    if (saved && saved.token) localStorage.setItem(key, JSON.stringify({...saved, messages: []}));
  }
}"""


async def open_demo(context: BrowserContext, app: RunningApp) -> tuple[Page, list[dict[str, Any]]]:
    """The demo page; also returns the frames the widget's sockets receive, in order."""
    page = await context.new_page()
    frames: list[dict[str, Any]] = []
    errors: list[str] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", watch)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(app.url + "/")
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    return page, frames


def kinds(frames: list[dict[str, Any]]) -> list[str]:
    return [
        f"message:{f['message']['text']}" if f["type"] == "message" else f["type"]
        for f in frames
        if f["type"] in ("message", "typing")
    ]


async def test_the_support_example_with_choices_an_email_question_and_a_reload(
    context: BrowserContext, real_app: RunningApp
) -> None:
    page, frames = await open_demo(context, real_app)
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    await box.fill("Hello")
    await box.press("Enter")

    bot = page.locator(".rbw-msg--out .rbw-bubble")
    await expect(bot).to_have_text([GREETING, TOPIC])
    # the indicator is pushed once the message is stored, before the workflow answers
    assert kinds(frames)[:3] == ["typing", f"message:{GREETING}", f"message:{TOPIC}"]
    buttons = panel.locator(".rbw-choices button")
    await expect(buttons).to_have_text(
        ["Where is my order?", "Billing question", "Talk to a person"]
    )

    await panel.get_by_role("button", name="Where is my order?").click()
    await expect(bot.last).to_have_text(EMAIL_QUESTION)
    await expect(buttons).to_have_count(0)
    answer = page.locator(".rbw-input")
    await expect(answer).to_have_attribute("type", "email")

    # the browser refuses what it can tell is no address; the workflow refuses the rest
    await answer.fill("ana at example")
    await answer.press("Enter")
    await expect(page.locator(".rbw-hint")).to_contain_text("valid email address")
    await answer.fill("ana@example")
    await answer.press("Enter")
    await expect(bot.last).to_have_text(EMAIL_RETRY)
    await answer.fill("ana@example.com")
    await answer.press("Enter")
    await expect(bot.last).to_have_text(ORDER_QUESTION)
    await expect(answer).to_have_attribute("type", "text")

    expected = [
        "Hello",
        GREETING,
        TOPIC,
        "Where is my order?",
        EMAIL_QUESTION,
        "ana@example",
        EMAIL_RETRY,
        "ana@example.com",
        ORDER_QUESTION,
    ]
    await expect(page.locator(".rbw-bubble")).to_have_text(expected)
    # keep the visitor's token, forget the cached copy: the history comes from the server
    await page.evaluate(FORGET_CACHED_MESSAGES)
    await page.reload()
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    await expect(page.get_by_role("dialog", name="Pinecone Support")).to_be_visible()
    await expect(page.locator(".rbw-bubble")).to_have_text(expected)

    (conversation,) = await real_app.rows(Conversation)
    assert conversation.channel == "widget"
    (run,) = await real_app.rows(WorkflowRun)
    assert run.status == "waiting"
    assert page.errors == []  # type: ignore[attr-defined]


async def test_form_frustration_on_the_checkout_brings_the_checkout_help_workflow(
    context: BrowserContext, real_app: RunningApp
) -> None:
    page, _ = await open_demo(context, real_app)
    panel = page.get_by_role("dialog", name="Pinecone Support")
    await expect(panel).to_be_hidden()
    await page.locator("#name").fill("Ana")
    await page.locator("#card").fill("1234")
    pay = page.get_by_role("button", name="Pay now")
    for _ in range(2):
        await pay.click()
        await expect(page.locator("#result")).to_have_text("Please fix the highlighted fields.")

    await expect(panel).to_be_visible()
    await expect(panel.locator(".rbw-msg--out .rbw-bubble")).to_have_text([OFFER])
    await panel.get_by_role("button", name="Yes, please help").click()
    await expect(panel.get_by_text(TIPS)).to_be_visible()

    (conversation,) = await real_app.rows(Conversation)
    assert conversation.external_id == await page.evaluate("RelaybotWidget.visitorId")
    assert len(await real_app.rows(WorkflowRun)) == 1  # checkout-help only: no greeting
    await expect(panel.locator(".rbw-bubble")).to_have_text(
        [OFFER, "Yes, please help", re.compile(re.escape(TIPS))]
    )
    assert page.errors == []  # type: ignore[attr-defined]
