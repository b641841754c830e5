"""A/B tests in headless Chromium on the real app (engine and background loops): 200
customers through a 1:1 split, some tagged with the goal; the funnel page shows both
branches, each with 70 to 130 conversations, and draws the chart; the admin promotes one
branch and the next customer takes that branch only. Screenshot console-ab-test.png
(docs/screenshots/ with RELAYBOT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.app.app import create_app
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain import conversations
from bot.pipeline.services import SERVICES
from bot.storage.models import WorkflowRun
from channels.testing import RecordingChannel
from tests.browser.conftest import loopback_only
from tests.browser.real_app import RunningApp
from tests.browser.test_console import add_accounts, sign_in_with_the_keyboard
from tests.browser.test_console_accessibility import serious_violations
from tests.browser.test_screenshots import publish
from tests.conftest import make_settings
from tests.integration.console.test_splits import AB, LONG, SHORT

pytestmark = pytest.mark.browser
_messages = itertools.count(1)


@pytest.fixture
async def ab_app(
    sqlite_url: str, tmp_path: Path
) -> AsyncIterator[tuple[RunningApp, RecordingChannel]]:
    """The whole app with the greeting-test workflow (welcome, then a 1:1 split between a
    short and a long greeting, goal: the tag bought within a day) and the channel the
    customers write on."""
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "greeting-test.yaml").write_text(AB)
    settings = make_settings(
        sqlite_url,
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
        RELAYBOT_SECRET_KEY="browser-ab-key",
        RELAYBOT_POLL_INTERVAL=0.05,
    )
    app = create_app(settings, background=True)
    channel = RecordingChannel("test")
    app[SERVICES].add_channel(channel)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield RunningApp(f"http://{host}:{port}", app[SERVICES]), channel
    finally:
        await runner.cleanup()


async def customers_write(app: RunningApp, chats: list[str]) -> list[WorkflowRun]:
    """Each chat's customer writes once (a new conversation); their runs, once finished."""
    before = len(await app.rows(WorkflowRun))
    for chat in chats:
        message = InboundMessage(
            channel="test",
            external_conversation_id=chat,
            external_message_id=f"m{next(_messages)}",
            sender=SenderProfile(external_id=chat, name=f"Customer {chat}"),
            kind="text",
            text="hi",
        )
        await app.services.inbox.receive(message)
    for _ in range(600):
        runs = (await app.rows(WorkflowRun))[before:]
        if len(runs) == len(chats) and all(run.status == "completed" for run in runs):
            return runs
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(chats)} runs did not all finish")


async def replies_to(channel: RecordingChannel, chats: list[str]) -> list[str]:
    """What the customers of ``chats`` got after the welcome, once each got it."""
    wanted = set(chats)
    for _ in range(400):
        got = [m.text for m in channel.sent if m.external_conversation_id in wanted]
        greetings = [text for text in got if text != "Welcome"]
        if len(greetings) >= len(chats):
            return greetings
        await asyncio.sleep(0.05)
    raise AssertionError("the greetings were not all sent")


async def painted(page: Page, selector: str) -> int:
    return int(
        await page.locator(selector).evaluate(
            """c => {
                const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let inked = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
                return inked;
            }"""
        )
    )


async def fits_a_phone(browser: Browser, app: RunningApp) -> None:
    """The A/B section (table, chart, promote forms) needs no sideways scrolling and
    passes axe on a phone too."""
    phone = await browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    await loopback_only(phone)
    page = await phone.new_page()
    await sign_in_with_the_keyboard(page, app, "adam@example.com")
    await page.goto(app.url + "/console/workflows/greeting-test/funnel")
    await expect(page.locator("canvas#ab-chart-0")).to_have_attribute("data-drawn", "2")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert serious_violations(await Axe().run(page)) == []
    await phone.close()


async def test_an_admin_reads_the_ab_test_and_promotes_a_branch(
    browser: Browser,
    context: BrowserContext,
    ab_app: tuple[RunningApp, RecordingChannel],
    tmp_path: Path,
) -> None:
    app, channel = ab_app
    chats = [f"ab{number}" for number in range(200)]
    runs = await customers_write(app, chats)
    greetings = await replies_to(channel, chats)
    shorts = greetings.count(SHORT)
    assert 70 <= shorts <= 130 and greetings.count(LONG) == 200 - shorts
    for run in runs[::4]:
        assert run.conversation_id is not None
        async with app.services.uow() as tx:
            await conversations.add_tag(tx, run.conversation_id, "bought", by="agent")
    await add_accounts(app)

    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_in_with_the_keyboard(page, app, "adam@example.com")
    await page.goto(app.url + "/console/workflows/greeting-test/funnel")
    section = page.get_by_role("region", name="A/B test: test")
    await expect(section).to_be_visible()
    await expect(section).to_contain_text("Goal: the tag bought added within 1d of the split.")
    counts = {}
    for branch in ("short", "long"):
        row = section.get_by_role("row").filter(has=page.get_by_role("rowheader", name=branch))
        counts[branch] = int(await row.locator('td[data-label="Conversations"]').inner_text())
        assert 70 <= counts[branch] <= 130, counts
        await expect(row.locator('td[data-label="Goal rate"]')).to_contain_text("%")
    assert counts == {"short": shorts, "long": 200 - shorts}
    canvas = section.locator("canvas#ab-chart-0")
    await expect(canvas).to_have_attribute("data-drawn", "2")
    assert await painted(page, "canvas#ab-chart-0") > 500, "the A/B chart is empty"
    assert serious_violations(await Axe().run(page)) == []  # the tables, chart and promote forms
    shot = tmp_path / "console-ab-test.png"
    await page.screenshot(path=str(shot), full_page=True)
    publish(shot)
    await fits_a_phone(browser, app)

    promote = section.locator("form").filter(has=page.get_by_role("button", name="Promote long"))
    await promote.get_by_role("checkbox").check()
    await promote.get_by_role("button", name="Promote long").click()
    await expect(page).to_have_url(
        app.url + "/console/workflows/greeting-test?rolled_back=2&promoted=long"
    )
    await expect(page.get_by_role("status")).to_have_text(
        "long promoted: v2 has no split there; new runs start on it."
    )
    assert errors == []

    later = [f"after{number}" for number in range(6)]
    after = await customers_write(app, later)
    assert {run.version_id for run in after} != {runs[0].version_id}
    assert await replies_to(channel, later) == [LONG] * 6
