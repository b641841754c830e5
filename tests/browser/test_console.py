"""The web console in headless Chromium on the real app: an admin signs in with the
keyboard, disables a workflow and finds the audit line; an agent reads the workflows and
is refused the admin page and the admin API; the pages fit a phone. Screenshots of the
sign-in, workflows and audit pages go to docs/screenshots/ (RELAYBOT_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.domain import accounts
from bot.domain.audit import CLI
from tests.browser.conftest import loopback_only
from tests.browser.real_app import RunningApp
from tests.browser.test_screenshots import publish
from tests.integration.console.support import PASSWORD, add_agent_record

pytestmark = pytest.mark.browser


async def add_accounts(app: RunningApp) -> None:
    await accounts.create_account(app.services.uow, "adam@example.com", PASSWORD, "admin", CLI)
    await add_agent_record(app.services, "ana@example.com")
    await accounts.create_account(app.services.uow, "ana@example.com", PASSWORD, "agent", CLI)


async def sign_in_with_the_keyboard(page: Page, app: RunningApp, email: str) -> None:
    await page.goto(app.url + "/console")
    await expect(page).to_have_url(app.url + "/console/sign-in?next=/console/workflows")
    await expect(page.get_by_label("E-mail")).to_be_focused()
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Workflows")).to_be_visible()


async def test_an_admin_disables_a_workflow_and_finds_the_audit_line(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    await add_accounts(real_app)
    page = await context.new_page()
    await page.goto(real_app.url + "/console/sign-in")
    await expect(page.get_by_role("heading", name="Sign in to relaybot")).to_be_visible()
    shot = tmp_path / "console-sign-in.png"
    await page.screenshot(path=str(shot))
    publish(shot)

    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    row = page.get_by_role("row").filter(has_text="support-survey")
    await expect(row).to_contain_text("Enabled")
    await page.get_by_role("button", name="Disable support", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("support disabled.")
    support = page.get_by_role("row").filter(has=page.get_by_text("support", exact=True))
    await expect(support).to_contain_text("Disabled")
    await expect(page.get_by_role("button", name="Enable support", exact=True)).to_be_visible()
    shot = tmp_path / "console-workflows.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    await page.get_by_role("link", name="Audit log").click()
    await expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    line = page.get_by_role("row").filter(has_text="workflow.disabled")
    await expect(line).to_contain_text("adam@example.com")
    await expect(line).to_contain_text("console · 127.0.0.1")
    await page.get_by_label("Action").select_option("sign_in.ok")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("row").filter(has_text="workflow.disabled")).to_have_count(0)
    await expect(page.get_by_role("row").filter(has_text="sign_in.ok")).to_have_count(1)
    await page.get_by_label("Action").select_option("")
    await page.get_by_role("button", name="Filter").click()
    shot = tmp_path / "console-audit.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to relaybot")).to_be_visible()
    await page.goto(real_app.url + "/console/audit")
    await expect(page.get_by_role("heading", name="Sign in to relaybot")).to_be_visible()


async def test_an_agent_is_refused_the_admin_page_and_api(
    context: BrowserContext, real_app: RunningApp
) -> None:
    await add_accounts(real_app)
    page = await context.new_page()
    await sign_in_with_the_keyboard(page, real_app, "ana@example.com")
    await expect(page.get_by_text("Read only")).to_be_visible()
    await expect(page.get_by_role("button", name="Disable support", exact=True)).to_have_count(0)
    await expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    answer = await page.goto(real_app.url + "/console/audit")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("alert")).to_have_text("This page is for admins.")
    statuses = await page.evaluate(
        """async () => {
            const me = await (await fetch('/api/me')).json();
            const post = await fetch('/api/workflows/support/disable', {
                method: 'POST', headers: {'X-CSRF-Token': me.csrf_token}});
            const audit = await fetch('/api/audit');
            const list = await fetch('/api/workflows');
            return [me.role, post.status, audit.status, list.status];
        }"""
    )
    assert statuses == ["agent", 403, 403, 200]


async def test_the_console_fits_a_phone(
    browser: Browser, real_app: RunningApp, tmp_path: Path
) -> None:
    await add_accounts(real_app)
    ctx = await browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    await loopback_only(ctx)
    page = await ctx.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    for path in ("/console/workflows", "/console/audit"):
        await page.goto(real_app.url + path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    await page.goto(real_app.url + "/console/workflows")
    shot = tmp_path / "console-workflows-phone.png"
    await page.screenshot(path=str(shot))
    publish(shot)
    await ctx.close()
