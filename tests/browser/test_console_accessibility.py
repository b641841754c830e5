"""Every page of the console, checked by axe-core (labels, names, contrast, landmarks,
ARIA) in headless Chromium, on a laptop and on a phone, as an admin with real data: a
widget visitor's conversation with its workflow run. A new page is checked as soon as it
is routed: the pages come from the console's route table, not from a list here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from bot.app.console.routes import ADMIN_PAGES, SIGNED_IN_PAGES
from bot.storage.models import Contact, Conversation, WorkflowRun
from tests.browser.conftest import loopback_only
from tests.browser.real_app import RunningApp
from tests.browser.test_app_chat import GREETING, open_demo
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 667}}


async def _paths(app: RunningApp) -> list[str]:
    """Each GET page of the console with its placeholders filled from real rows."""
    run = (await app.rows(WorkflowRun))[0]
    conversation = (await app.rows(Conversation))[0]
    contact = (await app.rows(Contact))[0]
    values = {
        "name": "support",
        "run_id": str(run.id),
        "conversation_id": str(conversation.id),
        "contact_id": str(contact.id),
    }
    return [
        _concrete(path, values)
        for method, path, _ in (*SIGNED_IN_PAGES, *ADMIN_PAGES)
        if method == "GET"
    ]


def _concrete(path: str, values: dict[str, str]) -> str:
    """``path`` with each ``{placeholder}`` filled; a bare ``{id}`` by the section's row."""
    section_ids = {"runs": "run_id", "inbox": "conversation_id", "contacts": "contact_id"}
    section = path.split("/")[2]
    for key in re.findall(r"\{([a-z_]+)\}", path):
        name = section_ids.get(section, "") if key == "id" else key
        assert name in values, f"no value for {{{key}}} in {path}: teach this test"
        path = path.replace(f"{{{key}}}", values[name])
    return path


def serious_violations(results: Any) -> list[str]:
    """The serious and critical axe violations of ``results``, one line each."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
async def test_every_console_page_passes_axe(
    browser: Browser, real_app: RunningApp, viewport: str
) -> None:
    context = await browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    await loopback_only(context)
    visitor, _ = await open_demo(context, real_app)
    await visitor.get_by_role("button", name="Open chat").click()
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill("Hello")
    await box.press("Enter")
    await expect(visitor.locator(".rbw-msg--out .rbw-bubble").first).to_have_text(GREETING)

    await add_accounts(real_app)
    page: Page = await context.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    axe = Axe()
    problems: dict[str, list[str]] = {}
    paths = await _paths(real_app)
    assert "/console/workflows" in paths and "/console/audit" in paths
    for path in paths:
        answer = await page.goto(real_app.url + path)
        assert answer is not None and answer.status == 200, path
        await page.wait_for_load_state("networkidle")
        found = serious_violations(await axe.run(page))
        if found:
            problems[path] = found
    await context.close()
    assert problems == {}
