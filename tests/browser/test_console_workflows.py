"""The workflow pages in headless Chromium on the real app: an admin opens a workflow and
sees its graph laid out (one box per step, none overlapping), compares two versions, rolls
back and finds the audit line; a workflow disabled on the list then starts no run for a
widget visitor; the pages fit a phone. Screenshots: console-workflow.png,
console-workflow-diff.png."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.domain.workflow_store import import_files
from bot.storage.models import RunLog, Workflow, WorkflowRun, WorkflowVersion
from tests.browser.conftest import loopback_only
from tests.browser.real_app import EXAMPLES, RunningApp
from tests.browser.test_app_chat import open_demo
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard
from tests.browser.test_screenshots import publish

pytestmark = pytest.mark.browser

OLD_LINE = 'text: "A colleague is joining the chat now."'
NEW_LINE = 'text: "A colleague joins the chat in a moment."'


async def second_version(app: RunningApp, folder: Path) -> None:
    """checkout-help again with one line changed: its version 2."""
    path = folder / "checkout-help.yaml"
    shutil.copy(EXAMPLES / "checkout-help.yaml", path)
    text = path.read_text()
    assert OLD_LINE in text
    path.write_text(text.replace(OLD_LINE, NEW_LINE))
    (result,) = await import_files(app.services.uow, [path])
    assert (result.action, result.version) == ("updated", 2)


async def boxes(page: Page) -> list[dict[str, Any]]:
    return await page.locator("#workflow-graph svg g.graph-node").evaluate_all(
        """nodes => nodes.map(n => {
            const r = n.querySelector('.graph-box').getBoundingClientRect();
            return {key: n.dataset.key, x: r.x, y: r.y, w: r.width, h: r.height};
        })"""
    )


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


async def test_an_admin_sees_the_graph_compares_versions_and_rolls_back(
    context: BrowserContext, real_app: RunningApp, tmp_path: Path
) -> None:
    await add_accounts(real_app)
    await second_version(real_app, tmp_path)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    await page.get_by_role("link", name="checkout-help").click()
    await expect(page.get_by_role("heading", name="Workflow checkout-help")).to_be_visible()

    graph = page.get_by_role("img", name="The graph of checkout-help")
    await expect(graph).to_be_visible()
    drawn = await boxes(page)
    # the trigger, the nine steps and the end
    assert len(drawn) == 11 and drawn[0]["key"] == "trigger" and drawn[-1]["key"] == "done"
    assert all(b["w"] > 40 and b["h"] > 20 for b in drawn)
    clashes = [
        (a["key"], b["key"]) for i, a in enumerate(drawn) for b in drawn[i + 1 :] if overlap(a, b)
    ]
    assert clashes == []
    assert len({round(b["y"]) for b in drawn}) >= 4  # laid out in ranks, not in one row
    await expect(graph.locator("g.graph-edge path.graph-line")).to_have_count(
        await graph.locator("g.graph-edge").count()
    )
    await expect(graph.locator("g.graph-edge-label").filter(has_text="unavailable")).to_have_count(
        1
    )
    await expect(page.locator("#workflow-steps")).not_to_have_attribute("open", "")
    yaml = page.locator("pre.yaml code")
    await expect(yaml).to_contain_text(NEW_LINE)
    shot = tmp_path / "console-workflow.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    await page.get_by_label("From", exact=True).select_option("1")
    await page.get_by_label("To", exact=True).select_option("2")
    await page.get_by_role("button", name="Compare").click()
    await expect(page.get_by_role("heading", name="checkout-help: v1 → v2")).to_be_visible()
    await expect(page.get_by_text("1 line added, 1 removed.")).to_be_visible()
    removed = page.locator("tr.diff-removed")
    await expect(removed).to_contain_text(OLD_LINE)
    await expect(removed.locator(".diff-sign")).to_contain_text("-")
    await expect(page.locator("tr.diff-added")).to_contain_text(NEW_LINE)
    await expect(page.locator("tr.diff-added .diff-sign")).to_contain_text("+")
    shot = tmp_path / "console-workflow-diff.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    await page.get_by_role("link", name="Workflow checkout-help").click()
    await page.get_by_role("button", name="Roll back to this version (v1)").click()
    await expect(page.get_by_role("status")).to_have_text(
        "v1 is current now: new runs start on it."
    )
    await expect(page.locator("pre.yaml code")).to_contain_text(OLD_LINE)
    current = page.locator("tr.current-version")
    await expect(current).to_contain_text("v1")
    (row,) = await real_app.rows(Workflow, Workflow.name == "checkout-help")
    (version,) = await real_app.rows(WorkflowVersion, WorkflowVersion.id == row.current_version_id)
    assert version.version == 1

    await page.get_by_role("link", name="Audit log").click()
    line = page.get_by_role("row").filter(has_text="workflow.rolled_back")
    await expect(line).to_contain_text("adam@example.com")
    await expect(line).to_contain_text("checkout-help")
    assert errors == []


async def test_a_workflow_disabled_on_the_list_starts_no_run(
    context: BrowserContext, real_app: RunningApp
) -> None:
    await add_accounts(real_app)
    page = await context.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    await page.get_by_role("button", name="Disable support", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("support disabled.")

    visitor, _ = await open_demo(context, real_app)
    await visitor.get_by_role("button", name="Open chat").click()
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill("Hello")
    await box.press("Enter")
    await expect(visitor.locator(".rbw-msg--in .rbw-bubble").last).to_have_text("Hello")
    (support,) = await real_app.rows(Workflow, Workflow.name == "support")
    skips: list[Any] = []
    for _ in range(100):  # the message goes through the journal and the event loop
        skips = await real_app.rows(RunLog, RunLog.workflow_id == support.id, RunLog.kind == "skip")
        if skips:
            break
        await asyncio.sleep(0.1)
    assert skips and skips[0].message.endswith(": disabled")
    assert await real_app.rows(WorkflowRun, WorkflowRun.workflow_id == support.id) == []
    await expect(visitor.locator(".rbw-msg--out")).to_have_count(0)


async def test_the_workflow_page_fits_a_phone(browser: Browser, real_app: RunningApp) -> None:
    await add_accounts(real_app)
    ctx = await browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    await loopback_only(ctx)
    page = await ctx.new_page()
    await sign_in_with_the_keyboard(page, real_app, "adam@example.com")
    for path in ("/console/workflows/support", "/console/workflows/support/diff"):
        await page.goto(real_app.url + path)
        await expect(page.locator("main h1")).to_be_visible()
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    await page.goto(real_app.url + "/console/workflows/support")
    graph = page.locator("#workflow-graph")
    await expect(graph.locator("svg")).to_be_visible()
    await graph.focus()  # wider than the phone: it scrolls sideways on its own
    await expect(graph).to_be_focused()
    assert await graph.evaluate("el => el.scrollWidth > el.clientWidth")
    await ctx.close()
