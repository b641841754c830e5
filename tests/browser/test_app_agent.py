"""An agent's reply (through the admin API, as the Slack console does) reaches the widget live."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from playwright.async_api import BrowserContext, expect

from bot.storage.models import Conversation
from tests.browser.real_app import RunningApp

pytestmark = pytest.mark.browser

ADMIN = {"Authorization": "Bearer test-admin-token"}


async def api(app: RunningApp, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(app.url + "/api" + path, json=body, headers=ADMIN) as response,
    ):
        assert response.status == 201, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_an_agent_reply_appears_live_with_the_agents_name(
    context: BrowserContext, real_app: RunningApp
) -> None:
    page = await context.new_page()
    await page.goto(real_app.url + "/")
    await page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    await box.fill("Can a person help me?")
    await box.press("Enter")
    await expect(page.get_by_text("What can I help you with?")).to_be_visible()

    (conversation,) = await real_app.rows(Conversation)
    agent = await api(real_app, "/agents", {"name": "Bea Costa"})
    await api(
        real_app,
        f"/conversations/{conversation.id}/messages",
        {"text": "Hi, Bea here. Let me look.", "agent_id": agent["id"]},
    )
    reply = page.locator(".rbw-msg--agent")
    await expect(reply.locator(".rbw-bubble")).to_have_text("Hi, Bea here. Let me look.")
    await expect(reply.locator(".rbw-sr")).to_have_text("Bea Costa, ")

    await page.reload()
    await expect(page.locator(".rbw")).to_have_attribute("data-status", "online")
    await expect(page.locator(".rbw-msg--agent .rbw-sr")).to_have_text("Bea Costa, ")
