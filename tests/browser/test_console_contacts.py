"""Contacts, agents and teams in headless Chromium on the real app: an admin finds a
contact, exports it (the download holds the person's messages), erases it after typing
the confirmation, and finds both audit lines; an admin creates a team and adds an agent.
Screenshots of a contact and of the agents page go to docs/screenshots/
(RELAYBOT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.leads import create_lead
from bot.storage.models import Contact, Conversation
from tests.browser.real_app import RunningApp
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard
from tests.browser.test_screenshots import publish

pytestmark = pytest.mark.browser

NAME = "Zelda Quixotic"
TEXT = "My parcel to Quixotic Lane 17 has not arrived"


async def a_customer(app: RunningApp) -> int:
    """Zelda writes on the web chat twice and has a lead; her contact id."""
    for number, text in enumerate(("Hello there", TEXT), start=1):
        await app.services.inbox.receive(
            InboundMessage(
                channel="widget",
                external_conversation_id="v_zelda",
                external_message_id=f"v_zelda:{number}",
                sender=SenderProfile(external_id="v_zelda", name=NAME, email="zelda@example.com"),
                text=text,
            )
        )
    (contact,) = await app.rows(Contact, Contact.name == NAME)
    async with app.services.uow() as tx:
        await create_lead(
            tx,
            app.services.pipeline,
            name="Quixotic family order",
            stage="qualified",
            contact_id=contact.id,
            expected_amount=Decimal("1200"),
        )
    return int(contact.id)


async def test_an_admin_exports_and_erases_a_contact(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    contact_id = await a_customer(real_app)
    await add_accounts(real_app)
    page = await context.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    await page.get_by_role("link", name="Contacts").click()
    await page.get_by_label("Name, e-mail or phone").fill("quixotic")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name=NAME).click()
    await expect(page.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    await expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    await expect(page.locator(".contact-facts")).to_contain_text("zelda@example.com")
    leads = page.get_by_role("region", name="Leads")
    await expect(leads.get_by_role("row").filter(has_text="Quixotic family order")).to_contain_text(
        "qualified"
    )
    (chat,) = await real_app.rows(Conversation, Conversation.contact_id == contact_id)
    conversations = page.get_by_role("region", name="Conversations")
    await expect(conversations.get_by_role("link", name=f"#{chat.id}")).to_have_attribute(
        "href", f"/console/inbox/{chat.id}"
    )
    shot = tmp_path / "console-contact.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Export as JSON").click()
    download = await waiting.value
    assert download.suggested_filename == f"contact-{contact_id}.json"
    saved = tmp_path / "export.json"
    await download.save_as(saved)
    exported = json.loads(saved.read_text(encoding="utf-8"))
    assert exported["contact"]["name"] == NAME
    (conversation,) = exported["conversations"]
    assert TEXT in [m["text"] for m in conversation["messages"]]

    erase = page.get_by_role("button", name="Erase personal data")
    await page.get_by_label("to confirm").fill("erase")
    await erase.click()
    await expect(page.get_by_role("alert")).to_contain_text("confirm")
    await page.go_back()
    await page.get_by_label("to confirm").fill("ERASE")
    await page.get_by_role("button", name="Erase personal data").click()
    await expect(page.get_by_role("status")).to_have_text("Personal data erased.")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Erased contact #{contact_id}")
    await expect(page.get_by_text(NAME)).to_have_count(0)
    await expect(page.get_by_role("button", name="Export as JSON")).to_have_count(0)

    await page.get_by_role("link", name="Audit log").click()
    for action in ("contact.exported", "contact.erased"):
        line = page.get_by_role("row").filter(has_text=action)
        await expect(line).to_contain_text("adam@example.com")
        await expect(line).to_contain_text(str(contact_id))
    await expect(page.locator("main")).not_to_contain_text("Quixotic")


async def test_an_admin_creates_a_team_and_adds_an_agent(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    await add_accounts(real_app)
    page = await context.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    await page.get_by_role("link", name="Agents and teams").click()
    await expect(page.get_by_role("heading", name="Agents and teams")).to_be_visible()
    await page.get_by_text("New agent").click()
    await page.locator("#new-name").fill("Bea Billing")
    await page.locator("#new-email").fill("bea@example.com")
    await page.locator("#new-slack_user_id").fill("U0BEA")
    await page.locator("#new-roles").fill("billing")
    await page.locator("#new-capacity").fill("4")
    await page.get_by_role("button", name="Create agent").click()
    await expect(page.get_by_role("status")).to_have_text("Agent created.")
    bea = page.get_by_role("row").filter(has_text="Bea Billing")
    await expect(bea).to_contain_text("U0BEA")

    await page.get_by_label("New team's name").fill("Support desk")
    await page.get_by_role("button", name="Create team").click()
    await expect(page.get_by_role("status")).to_have_text("Team created.")
    team = page.get_by_role("region", name="Support desk")
    await team.get_by_label("Add an agent").select_option(label="Ana Agent")
    await team.get_by_role("button", name="Add to Support desk").click()
    await expect(page.get_by_role("status")).to_have_text("Agent added to the team.")
    team = page.get_by_role("region", name="Support desk")
    await expect(team.get_by_role("listitem")).to_have_count(1)
    await expect(team.get_by_role("listitem")).to_contain_text("Ana Agent")
    await team.get_by_label("Slack channel").fill("C0SUPPORT")
    await team.get_by_role("button", name="Save Support desk").click()
    await expect(page.get_by_role("status")).to_have_text("Team saved.")
    shot = tmp_path / "console-agents.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    await page.get_by_role("link", name="Audit log").click()
    await expect(page.get_by_role("row").filter(has_text="team.created")).to_have_count(1)
    await expect(page.get_by_role("row").filter(has_text="team.changed")).to_have_count(2)
    await expect(page.get_by_role("row").filter(has_text="agent.created")).to_contain_text(
        "Bea Billing"
    )
