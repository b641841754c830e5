"""The inbox in headless Chromium on the real app: a visitor writes in the widget, an agent
signed in to the console sees the conversation appear live, opens it, replies, and the
reply appears in the widget; an internal note never does; the visitor's next message
appears in the open conversation without a reload; a desktop notification is shown when
an admin assigns a conversation to the agent; the page connects again when the server
closes its socket. Screenshots of the list and of a
conversation go to docs/screenshots/ (RELAYBOT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.app.console.inbox_feed import feed_of
from bot.core.messages import InboundMessage, SenderProfile
from bot.storage.models import Agent, Conversation
from tests.browser.conftest import loopback_only
from tests.browser.real_app import RunningApp
from tests.browser.test_app_chat import open_demo
from tests.browser.test_console import add_accounts
from tests.browser.test_screenshots import publish
from tests.integration.console.support import PASSWORD

pytestmark = pytest.mark.browser

ADMIN = {"Authorization": "Bearer test-admin-token"}
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: (options || {}).body || "" });
    }
  }
  window.Notification = Recorded;
})();
"""


async def agent_console(browser: Browser, app: RunningApp) -> tuple[BrowserContext, Page]:
    """Ana signed in to the console, desktop notifications allowed and recorded."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 860}, permissions=["notifications"]
    )
    await loopback_only(context)
    context.set_default_timeout(15_000)
    await context.add_init_script(RECORD_NOTIFICATIONS)
    page = await context.new_page()
    await page.goto(app.url + "/console/sign-in?next=/console/inbox")
    await page.get_by_label("E-mail").fill("ana@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-live", "on")
    return context, page


async def other_customers(app: RunningApp) -> None:
    """Two earlier visitors, for a fuller list."""
    for chat, name, text in (
        ("v_grace", "Grace Hopper", "Can I change my delivery address?"),
        ("v_alan", "Alan Turing", "My invoice shows the wrong VAT number"),
    ):
        await app.services.inbox.receive(
            InboundMessage(
                channel="widget",
                external_conversation_id=chat,
                external_message_id=f"{chat}-1",
                sender=SenderProfile(external_id=chat, name=name),
                text=text,
            )
        )


async def admin_posts(app: RunningApp, path: str, body: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{app.url}/api{path}", json=body, headers=ADMIN) as answer,
    ):
        assert answer.status == 200, await answer.text()


async def notifications(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate("window.__notifications")
    return found


async def test_an_agent_answers_a_widget_visitor_from_the_inbox(
    browser: Browser, context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    await add_accounts(real_app)
    await other_customers(real_app)
    agent_context, inbox = await agent_console(browser, real_app)
    rows = inbox.locator("#inbox-rows tr")
    await expect(rows).to_have_count(2)

    visitor, _ = await open_demo(context, real_app)
    await visitor.get_by_role("button", name="Open chat").click()
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill("Can a person help me with my order?")
    await box.press("Enter")
    await expect(visitor.get_by_text("What can I help you with?")).to_be_visible()

    # the new conversation appears in the open list, on top, without a reload
    await expect(rows).to_have_count(3)
    widget_row = rows.first
    await expect(widget_row).not_to_contain_text("Grace Hopper")
    await expect(widget_row).to_contain_text("What can I help you with?")
    await expect(widget_row).to_contain_text("Unassigned")

    # a new assignment to the signed-in agent shows a desktop notification
    (ana,) = await real_app.rows(Agent)
    grace, _, newest = await real_app.rows(Conversation)
    await admin_posts(real_app, f"/conversations/{newest.id}/assign", {"agent_id": ana.id})
    await expect(widget_row).to_contain_text("Ana Agent")
    await inbox.wait_for_function("() => window.__notifications.length === 1")
    (shown,) = await notifications(inbox)
    assert shown["title"] == "Conversation assigned to you"
    await admin_posts(real_app, f"/conversations/{grace.id}/tags", {"tag": "delivery"})
    await expect(rows.filter(has_text="Grace Hopper")).to_contain_text("delivery")
    shot = tmp_path / "console-inbox.png"
    await inbox.screenshot(path=str(shot), full_page=True)
    publish(shot)

    # a customer's message in a conversation the agent has shows one too
    await box.fill("Is anyone there?")
    await box.press("Enter")
    await inbox.wait_for_function("() => window.__notifications.length === 2")
    shown = (await notifications(inbox))[1]
    assert shown["title"].startswith("New message from ")
    assert shown["body"] == "Is anyone there?"

    await widget_row.get_by_role("link").click()
    await expect(inbox.get_by_role("heading", name="Conversation with")).to_be_visible()
    transcript = inbox.locator("#transcript")
    await expect(transcript.locator(".msg--customer")).to_contain_text(
        ["Can a person help me with my order?"]
    )
    await expect(transcript.locator(".msg--bot").first).to_contain_text("Bot")

    await inbox.get_by_label("Reply to the customer").fill("Hi, Ana here. Which order is it?")
    await inbox.get_by_role("button", name="Send reply").click()
    await expect(inbox.get_by_role("status").filter(has_text="Reply sent")).to_be_visible()
    await expect(transcript.locator(".msg--agent")).to_contain_text(["Agent · Ana Agent"])
    reply = visitor.locator(".rbw-msg--agent .rbw-bubble")
    await expect(reply).to_have_text("Hi, Ana here. Which order is it?")

    await inbox.get_by_label("Internal note (only agents see it)").fill(
        "Returning customer: offer free shipping"
    )
    await inbox.get_by_role("button", name="Add note").click()
    note = transcript.locator(".msg--note")
    await expect(note).to_contain_text("Internal note · Ana Agent")
    await expect(note).to_contain_text("Returning customer: offer free shipping")

    # the visitor's answer appears in the open conversation without a reload
    await box.fill("Order #1001, thanks!")
    await box.press("Enter")
    await expect(transcript.locator(".msg--customer").last).to_contain_text("Order #1001, thanks!")
    shot = tmp_path / "console-conversation.png"
    await inbox.screenshot(path=str(shot), full_page=True)
    publish(shot)

    # the note never reached the widget, not even its stored history
    await visitor.reload()
    await expect(visitor.locator(".rbw")).to_have_attribute("data-status", "online")
    await expect(visitor.locator(".rbw-msg--agent .rbw-bubble")).to_have_text(
        "Hi, Ana here. Which order is it?"
    )
    await expect(visitor.get_by_text("offer free shipping")).to_have_count(0)
    # none for the visitor's message in the conversation the agent is looking at
    assert await notifications(inbox) == []
    assert getattr(visitor, "errors", []) == []
    await agent_context.close()


async def test_the_notification_button_and_reconnecting(
    browser: Browser, real_app: RunningApp
) -> None:
    await add_accounts(real_app)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await loopback_only(context)
    page = await context.new_page()
    await page.goto(real_app.url + "/console/sign-in?next=/console/inbox")
    await page.get_by_label("E-mail").fill("ana@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    button = page.get_by_role("button", name="Turn on desktop notifications")
    await expect(button).to_be_visible()
    assert await page.evaluate("Notification.permission") == "default"

    # when the server closes the socket (it is stopping, say) the page connects again
    body = page.locator("body")
    await expect(body).to_have_attribute("data-live", "on")
    feed_of(real_app.services).close_all()
    await expect(page.get_by_role("status")).to_contain_text("trying again in 1 s")
    await expect(body).to_have_attribute("data-live", "on")
    await expect(page.get_by_role("status")).to_have_text("Live updates on.")
    await context.close()
