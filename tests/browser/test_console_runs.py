"""The runs pages in headless Chromium on the real app (engine and background loops): an
admin opens a failed run from the runs list and reads its error; the funnel page's table
counts the runs the test made, and its script draws the chart and the graph's badges.
Screenshots of the runs list, a run and a funnel go to docs/screenshots/
(RELAYBOT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.app.app import create_app
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import SERVICES
from bot.storage.models import WorkflowRun
from channels.testing import RecordingChannel
from tests.browser.conftest import loopback_only
from tests.browser.real_app import RunningApp
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard
from tests.browser.test_screenshots import publish
from tests.conftest import make_settings
from tests.integration.console.runs_support import ERROR, OTHER, TRIAGE

pytestmark = pytest.mark.browser
_messages = itertools.count(1)


@pytest.fixture
async def runs_app(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RunningApp]:
    """The whole app with the triage workflow (finish, wait a week or fail by what the
    customer writes) and a recording channel the customers write on."""
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "triage.yaml").write_text(TRIAGE)
    (workflows / "vip.yaml").write_text(OTHER)
    settings = make_settings(
        sqlite_url,
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
        RELAYBOT_SECRET_KEY="browser-runs-key",
        RELAYBOT_POLL_INTERVAL=0.05,
    )
    app = create_app(settings, background=True)
    app[SERVICES].add_channel(RecordingChannel("test"))
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield RunningApp(f"http://{host}:{port}", app[SERVICES])
    finally:
        await runner.cleanup()


async def customer_writes(app: RunningApp, chat: str, text: str) -> WorkflowRun:
    """A customer writes ``text`` in a new chat; the run it started, once it went as far
    as it can (finished, failed or waiting)."""
    before = len(await app.rows(WorkflowRun))
    message = InboundMessage(
        channel="test",
        external_conversation_id=chat,
        external_message_id=f"m{next(_messages)}",
        sender=SenderProfile(external_id=chat, name="Ada"),
        kind="text",
        text=text,
    )
    await app.services.inbox.receive(message)
    for _ in range(200):
        runs = await app.rows(WorkflowRun)
        if len(runs) > before and runs[-1].status in ("completed", "failed", "waiting"):
            return runs[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no run for {text!r}")


async def make_runs(app: RunningApp) -> dict[str, WorkflowRun]:
    return {
        "done": await customer_writes(app, "c1", "hello"),
        "failed": await customer_writes(app, "c2", "it is broken"),
        "waiting": await customer_writes(app, "c3", "talk later"),
        "again": await customer_writes(app, "c4", "hello again"),
    }


async def script_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


async def test_an_admin_opens_a_failed_run_from_the_list(
    context: BrowserContext, runs_app: RunningApp, tmp_path: Path
) -> None:
    runs = await make_runs(runs_app)
    await add_accounts(runs_app)
    page = await context.new_page()
    await sign_in_with_the_keyboard(page, runs_app, "adam@example.com")
    await page.get_by_role("link", name="Runs", exact=True).click()
    await expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    await expect(page.locator("table.runs tbody tr")).to_have_count(4)
    shot = tmp_path / "console-runs.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)

    await page.get_by_label("Status").select_option("failed")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator("table.runs tbody tr")).to_have_count(1)
    failed = runs["failed"].id
    row = page.get_by_role("row").filter(has_text=f"Run {failed}")
    await expect(row).to_contain_text(ERROR)
    await row.get_by_role("link", name=f"Run {failed}").click()
    await expect(page.get_by_role("heading", name=f"Run {failed}")).to_be_visible()
    error = page.get_by_role("region", name="Error")
    await expect(error.locator("pre")).to_have_text(ERROR)
    log = page.get_by_role("list", name="Run log, oldest first")
    await expect(log.locator("pre")).to_have_text(f"run failed: {ERROR}")
    check = log.get_by_role("row").filter(has_text="it is broken").filter(has_text="contains")
    await expect(check.first).to_contain_text("true")
    await expect(page.get_by_text("not started on message.received")).to_be_visible()
    shot = tmp_path / "console-run.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)


async def test_the_funnel_counts_the_runs_and_draws_them(
    context: BrowserContext, runs_app: RunningApp, tmp_path: Path
) -> None:
    await make_runs(runs_app)
    await add_accounts(runs_app)
    page = await context.new_page()
    errors = await script_errors(page)
    await sign_in_with_the_keyboard(page, runs_app, "ana@example.com")  # agents may
    await page.goto(runs_app.url + "/console/workflows/triage/funnel")
    await expect(page.get_by_role("heading", name="Funnel: triage")).to_be_visible()

    table = page.locator("table.funnel-table")
    expected = {"hello": ("4", "0", "0"), "route": ("4", "0", "0"), "pause": ("1", "0", "1")}
    expected |= {"broken": ("1", "1", "0"), "bye": ("2", "0", "0")}
    for step, (reached, failed, waiting) in expected.items():
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=step))
        await expect(row.locator('td[data-label="Reached"]')).to_have_text(reached)
        await expect(row.locator('td[data-label="Failed here"]')).to_have_text(failed)
        await expect(row.locator('td[data-label="Waiting here now"]')).to_have_text(waiting)

    canvas = page.locator("#funnel-chart")
    await expect(canvas).to_have_attribute("data-drawn", "5")
    painted = await canvas.evaluate(
        """c => {
            const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
            return inked;
        }"""
    )
    assert painted > 500, "the chart canvas is empty"
    graph = page.locator("#funnel-graph svg.graph")
    await expect(graph).to_be_visible()
    badges = await graph.locator(".graph-badge text").all_text_contents()
    assert "4 started" in badges and "1 · 1 failed" in badges and "1 · 1 waiting" in badges
    assert "2 completed" in badges
    assert errors == []
    shot = tmp_path / "console-funnel.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)


async def test_the_runs_pages_fit_a_phone(browser: Browser, runs_app: RunningApp) -> None:
    runs = await make_runs(runs_app)
    await add_accounts(runs_app)
    ctx = await browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    await loopback_only(ctx)
    page = await ctx.new_page()
    await sign_in_with_the_keyboard(page, runs_app, "adam@example.com")
    for path in (
        "/console/runs",
        f"/console/runs/{runs['failed'].id}",
        f"/console/runs/{runs['waiting'].id}",
        "/console/workflows/triage/funnel",
    ):
        await page.goto(runs_app.url + path)
        await page.wait_for_load_state("networkidle")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    await ctx.close()
