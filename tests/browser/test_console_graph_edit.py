"""Editing a workflow on its graph in headless Chromium on the real app: an admin starts a
workflow from the trigger picker, selects its step on the graph with the keyboard, adds a
send_message step after it, writes its text in the form generated from the step type's
schema (the missing text shows as a problem of the step until then), adds a second one,
publishes, and a widget visitor's new conversation receives both messages.
Screenshot: console-graph-edit.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import BrowserContext, Page, expect

from bot.domain.audit import CLI
from bot.domain.workflow_drafts import save_draft
from tests.browser.real_app import RunningApp
from tests.browser.test_app_chat import open_demo
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard
from tests.browser.test_console_accessibility import serious_violations
from tests.browser.test_screenshots import publish as publish_shot

pytestmark = pytest.mark.browser

FIRST = "Thanks for stopping by!"
SECOND = "A colleague will be with you shortly."


async def _add_after(page: Page, text: str, new_id: str) -> None:
    panel = page.get_by_role("region", name="Edit on the graph")
    await panel.get_by_label("Type of the new step").select_option("send_message")
    await panel.get_by_role("button", name="Add step after").click()
    heading = panel.get_by_role("heading", name=f"Step {new_id} (send_message)")
    await expect(heading).to_be_focused()
    problems = panel.get_by_role("list", name=f"Problems of step {new_id}")
    await expect(problems).to_contain_text("send_message needs text, media_url, template or ai")
    await panel.get_by_label("text", exact=True).fill(text)
    await panel.get_by_role("button", name="Save step").click()
    await expect(panel.get_by_text("No problems in this step.")).to_be_visible()


async def test_a_workflow_built_on_the_graph_runs_once_published(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    await add_accounts(real_app)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    await page.goto(real_app.url + "/console/workflows/new")
    picker = page.get_by_role("region", name="Start from a trigger")
    await picker.get_by_label("Name").fill("graph-made")
    await picker.get_by_label("Trigger").select_option("conversation.created")
    await picker.get_by_role("button", name="Create draft").click()
    await expect(page.get_by_role("heading", name="Edit graph-made")).to_be_visible()

    nodes = page.locator("#draft-graph g.graph-node")
    await expect(nodes).to_have_count(3)  # trigger, hello, done
    await nodes.and_(page.locator('[data-key="s0"]')).focus()
    await page.keyboard.press("Enter")
    panel = page.get_by_role("region", name="Edit on the graph")
    await expect(panel.get_by_role("heading", name="Step hello (send_message)")).to_be_focused()

    await _add_after(page, FIRST, "send_message")
    await _add_after(page, SECOND, "send_message-2")
    await expect(nodes).to_have_count(5)
    await expect(page.locator("#problem-count")).to_have_text("(No problems)")
    text = await page.get_by_label("YAML of the draft").input_value()
    assert text.index("Hello! How can we help?") < text.index(FIRST) < text.index(SECOND)
    assert "# What the bot does, in order." in text  # the template's comment stays
    await expect(nodes.and_(page.locator(".graph-selected"))).to_have_count(1)
    assert serious_violations(await Axe().run(page)) == []
    shot = tmp_path / "console-graph-edit.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish_shot(shot)

    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_text("Published v1")).to_be_visible()

    visitor, _ = await open_demo(context, real_app)
    await visitor.get_by_role("button", name="Open chat").click()
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill("Hi there")
    await box.press("Enter")
    said = visitor.locator(".rbw-msg--out .rbw-bubble")
    await expect(said.filter(has_text=FIRST)).to_be_visible()
    await expect(said.filter(has_text=SECOND)).to_be_visible()
    assert errors == []


ASK = """\
# Asks a topic; the comment stays.
name: asks
trigger: {event: message.received}
steps:
  - {id: topic, type: ask_question, question: "What about?", save_to: vars.topic}
  - {id: thanks, type: send_message, text: "Thanks"}
"""


async def test_exits_moves_and_removal_on_the_graph(
    context: BrowserContext, real_app: RunningApp
) -> None:
    await save_draft(real_app.services.uow, "asks", ASK, CLI)
    await add_accounts(real_app)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    await page.goto(real_app.url + "/console/workflows/asks/edit")
    panel = page.get_by_role("region", name="Edit on the graph")
    nodes = page.locator("#draft-graph g.graph-node")
    await nodes.and_(page.locator('[data-key="s0"]')).click()
    await expect(panel.get_by_role("heading", name="Step topic (ask_question)")).to_be_focused()
    await expect(panel.get_by_label("answer_type")).to_contain_text("(default: text)")

    await panel.get_by_label("Type of the new step").select_option("assign_to")
    await panel.get_by_label("On exit").select_option("timeout")
    await panel.get_by_role("button", name="Add step on exit").click()
    await expect(panel.get_by_role("heading", name="Step assign_to (assign_to)")).to_be_focused()
    editor = page.get_by_label("YAML of the draft")
    await expect(editor).to_have_value(re.compile(r"exits: \{timeout: assign_to\}"))

    await panel.get_by_label("Connect").select_option("next")
    await panel.get_by_label("to", exact=True).select_option("end")
    await panel.get_by_role("button", name="Connect").click()
    await expect(editor).to_have_value(
        re.compile(r"id: assign_to\n\s+type: assign_to\n\s+next: end\n")
    )
    await panel.get_by_role("button", name="Move up").click()
    await expect(panel.get_by_role("button", name="Move down")).to_be_enabled()
    await panel.get_by_label("exits", exact=True).fill("{not json")
    await panel.get_by_role("button", name="Save step").click()
    assert await panel.get_by_label("exits", exact=True).evaluate("e => !e.validity.valid")

    await panel.get_by_role("button", name="Remove step assign_to").click()
    await expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_focused()
    text = await editor.input_value()
    assert "assign_to" not in text and "timeout: end" in text
    assert text.startswith("# Asks a topic; the comment stays.")
    # without the graph: the step picker (a form control screen readers announce)
    await panel.get_by_label("Step to edit").select_option(label="thanks: send: Thanks")
    await panel.get_by_role("button", name="Edit step").click()
    await expect(panel.get_by_role("heading", name="Step thanks (send_message)")).to_be_focused()
    assert errors == []
