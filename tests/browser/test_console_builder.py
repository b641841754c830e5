"""The workflow builder in headless Chromium on the real app: an admin starts a workflow from
the trigger picker, sees a problem appear and go as they type, publishes, and a widget
visitor's conversation then runs it; the preview chat answers a question and skips a wait
with nothing reaching the outbox; the replay panel lists a run the draft would change.
Screenshots: console-builder.png, console-preview.png, console-replay.png."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.domain.audit import CLI
from bot.domain.workflow_drafts import publish, save_draft
from bot.storage.models import OutboxItem, WorkflowRun
from tests.browser.conftest import loopback_only
from tests.browser.real_app import RunningApp
from tests.browser.test_app_chat import open_demo
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard
from tests.browser.test_screenshots import publish as publish_shot

pytestmark = pytest.mark.browser

WELCOME = "Welcome to Pinecone! Ask us anything."
PREVIEW = """\
# Asks for a name and a topic, looks the order up, waits an hour, says goodbye.
name: preview-demo
trigger: {event: message.received}
steps:
  - id: ask_name
    type: ask_question
    question: "What is your name?"
    save_to: vars.name
  - id: topic
    type: ask_question
    question: "Order or billing?"
    answer_type: choice
    choices:
      - {label: "Order", value: order}
      - {label: "Billing", value: billing}
    save_to: vars.topic
  - id: lookup
    type: run_action
    action: shopify.order_lookup
    inputs: {order_number: "1001", email: "ada@example.com"}
    save_as: order
    exits: {declined: missing, failure: missing}
  - {id: pause, type: wait, duration: 1h}
  - {id: bye, type: send_message, text: "Goodbye {{ vars.name }}: {{ vars.order.status }}", next: end}
  - {id: missing, type: send_message, text: "No such order"}
"""
ROUTE = """\
# Sends order questions one way and everything else another.
name: router
trigger: {event: message.received}
steps:
  - id: route
    type: branch
    cases:
      - when: {all: [{field: message.text, op: contains, value: ORDER_WORD}]}
        goto: orders
    else: other
  - {id: orders, type: send_message, text: "Orders it is.", next: end}
  - {id: other, type: send_message, text: "Noted."}
"""


async def _admin_page(context: BrowserContext, app: RunningApp) -> tuple[Page, list[str]]:
    await add_accounts(app)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_in_with_the_keyboard(page, app, "adam@example.com")
    return page, errors


async def test_a_workflow_from_the_trigger_picker_runs_once_published(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    page, errors = await _admin_page(context, real_app)
    await page.goto(real_app.url + "/console/workflows/new")
    picker = page.get_by_role("region", name="Start from a trigger")
    await picker.get_by_label("Name").fill("welcome")
    await picker.get_by_label("Trigger").select_option("conversation.created")
    await picker.get_by_role("button", name="Create draft").click()
    await expect(page.get_by_role("heading", name="Edit welcome")).to_be_visible()

    editor = page.get_by_label("YAML of the draft")
    text = await editor.input_value()
    assert "event: conversation.created" in text
    count = page.locator("#problem-count")
    await expect(count).to_have_text("(No problems)")
    graph = page.get_by_role("img", name="The graph of the draft of welcome")
    await expect(graph.locator("g.graph-node")).to_have_count(3)  # trigger, hello, done

    await editor.fill(text.replace("type: send_message", "type: send_mesage"))
    await expect(count).to_have_text("(1 problem)")
    problems = page.locator("#draft-problems")
    await expect(problems).to_contain_text("step hello")
    await expect(problems).to_contain_text("unknown step type 'send_mesage'")
    await expect(page.locator("#draft-graph-note")).to_be_visible()
    shot = tmp_path / "console-builder.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish_shot(shot)

    fixed = text.replace("Hello! How can we help?", WELCOME)
    await editor.fill(fixed)
    await expect(count).to_have_text("(No problems)")
    await expect(problems).to_contain_text("can be published")
    await expect(page.locator("#draft-graph-note")).to_be_hidden()
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
    await expect(page.get_by_label("Finish on the version they started on")).to_be_checked()
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_text("Published v1: new runs start on it")).to_be_visible()

    visitor, _ = await open_demo(context, real_app)
    await visitor.get_by_role("button", name="Open chat").click()
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill("Hi there")
    await box.press("Enter")
    await expect(
        visitor.locator(".rbw-msg--out .rbw-bubble").filter(has_text=WELCOME)
    ).to_be_visible()
    assert errors == []


async def test_the_preview_chat_answers_and_skips_a_wait_without_sending(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    await save_draft(real_app.services.uow, "preview-demo", PREVIEW, CLI)
    page, errors = await _admin_page(context, real_app)
    before = len(await real_app.rows(OutboxItem))
    await page.goto(real_app.url + "/console/workflows/preview-demo/edit")
    chat = page.get_by_role("region", name="Preview chat")
    answer = chat.get_by_label("Your answer")
    await answer.fill("hello")
    await answer.press("Enter")
    lines = chat.get_by_role("list", name="Preview conversation")
    await expect(lines.locator(".preview-bot")).to_have_text(["Bot: What is your name?"])
    await chat.get_by_text("Examples for actions").click()
    await chat.get_by_label("Action name").fill("shopify.order_lookup")
    await chat.get_by_label("Outcome").select_option("success")
    await chat.get_by_label("Data (JSON)").fill('{"status": "shipped"}')
    await chat.get_by_role("button", name="Set example").click()
    await expect(chat.locator("#preview-examples")).to_contain_text("shopify.order_lookup")
    await answer.fill("Ada")
    await chat.get_by_role("button", name="Send").click()
    await expect(lines.locator(".preview-bot").last).to_have_text("Bot: Order or billing?")
    await chat.get_by_role("button", name="Order", exact=True).click()
    await expect(lines.locator(".preview-visitor").last).to_have_text("You: Order")
    skip = chat.get_by_role("button", name="Skip wait")
    await expect(skip).to_be_enabled()
    await expect(lines.locator(".preview-note").last).to_contain_text("waiting until")
    await expect(lines).to_contain_text("shopify.order_lookup: success (example)")
    await skip.click()
    await expect(lines.locator(".preview-bot").last).to_have_text("Bot: Goodbye Ada: shipped")
    await expect(lines.locator(".preview-note").last).to_have_text("Note: the run is complete")
    await expect(skip).to_be_disabled()
    shot = tmp_path / "console-preview.png"
    await chat.screenshot(path=str(shot))
    publish_shot(shot)
    assert len(await real_app.rows(OutboxItem)) == before
    assert await real_app.rows(WorkflowRun) == []
    assert errors == []


async def _runs_of(app: RunningApp, count: int) -> list[WorkflowRun]:
    runs: list[WorkflowRun] = []
    for _ in range(100):  # the messages go through the journal and the event loop
        runs = await app.rows(WorkflowRun, WorkflowRun.status == "completed")
        if len(runs) >= count:
            break
        await asyncio.sleep(0.1)
    return runs


async def test_the_replay_panel_lists_a_run_that_would_differ(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    uow = real_app.services.uow
    await save_draft(uow, "router", ROUTE.replace("ORDER_WORD", "order"), CLI)
    await publish(uow, "router", "finish", CLI)
    visitor, _ = await open_demo(context, real_app)
    await visitor.get_by_role("button", name="Open chat").click()
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill("hello")
    await box.press("Enter")
    await expect(
        visitor.locator(".rbw-msg--out .rbw-bubble").filter(has_text="Noted.")
    ).to_be_visible()
    (run,) = await _runs_of(real_app, 1)

    await save_draft(uow, "router", ROUTE.replace("ORDER_WORD", "hello"), CLI)
    page, errors = await _admin_page(context, real_app)
    await page.goto(real_app.url + "/console/workflows/router/edit")
    replay = page.get_by_role("region", name="Replay")
    await replay.get_by_label("Replay against the last N runs").select_option("10")
    await replay.get_by_role("button", name="Replay").click()
    report = page.locator("#replay-report")
    await expect(report).to_contain_text("1 run replayed.")
    row = report.get_by_role("row").filter(has_text=f"#{run.id}")
    await expect(row).to_contain_text("differs")
    await expect(row).to_contain_text("route")
    await expect(row.get_by_role("link", name=f"#{run.id}")).to_have_attribute(
        "href", f"/console/runs/{run.id}"
    )
    shot = tmp_path / "console-replay.png"
    await page.get_by_role("region", name="Replay").screenshot(path=str(shot))
    publish_shot(shot)
    assert errors == []


async def test_the_builder_pages_fit_a_phone(browser: Browser, real_app: RunningApp) -> None:
    await add_accounts(real_app)
    await save_draft(real_app.services.uow, "preview-demo", PREVIEW, CLI)
    ctx = await browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    await loopback_only(ctx)
    page = await ctx.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    for path in ("/console/workflows/new", "/console/workflows/preview-demo/edit"):
        await page.goto(real_app.url + path)
        await expect(page.locator("main h1")).to_be_visible()
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    editor = page.get_by_label("YAML of the draft")
    await editor.focus()
    await page.keyboard.press("Tab")  # the text area does not trap the keyboard
    await expect(page.get_by_role("button", name="Save draft")).to_be_focused()
    await ctx.close()
