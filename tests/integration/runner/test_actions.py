"""run_action: success, declined and failure, with test actions and the real http_request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.pipeline.services import Services
from integrations.http_request import make_http_request_action
from integrations.outbound_http import OutboundHttp
from tests.harness import Harness
from tests.integration.runner.flows import exits, start
from workflows.actions import Action, ActionContext, ActionRegistry, ActionResult

FLOW = """
name: act
trigger: {event: conversation.created}
steps:
  - id: call
    type: run_action
    action: %s
    inputs: {who: "{{ contact.name }}", url: "%s"}
    save_as: result
    exits: {declined: no, failure: broken}
  - {type: send_message, text: "ok {{ vars.result.answer }}{{ vars.result.status }}", next: end}
  - {id: no, type: send_message, text: "declined", next: end}
  - {id: broken, type: send_message, text: "failed"}
"""


def registry(bot: Harness) -> ActionRegistry:
    actions = bot.services.actions
    assert isinstance(actions, ActionRegistry)
    return actions


def answering(outcome: str) -> Action:
    async def action(inputs: dict[str, Any], ctx: ActionContext) -> ActionResult:
        if outcome == "raise":
            raise RuntimeError("boom")
        return ActionResult(
            outcome=outcome, data={"answer": f"for {inputs['who']}"}, reason=outcome
        )

    return action


@pytest.mark.parametrize(
    ("outcome", "reply", "exit_"),
    [
        ("success", "ok for Ada", "success"),
        ("declined", "declined", "declined"),
        ("failure", "failed", "failure"),
        ("raise", "failed", "failure"),
    ],
)
async def test_outcomes(
    services: Services, tmp_path: Path, outcome: str, reply: str, exit_: str
) -> None:
    bot = await start(services, tmp_path, FLOW % ("test.lookup", ""))
    registry(bot).register("test.lookup", answering(outcome))
    await bot.say("hi")
    assert bot.take() == [reply]
    (run,) = await bot.runs()
    logs = await bot.logs(run.id)
    assert ("call", exit_) in exits(logs)
    (call,) = [log for log in logs if log.kind == "call"]
    assert call.message == f"run_action: {exit_}"
    if outcome == "success":
        assert run.state["engine"]["variables"]["result"] == {"answer": "for Ada"}
    if outcome == "raise":
        assert "crashed: RuntimeError" in call.data["reason"]


async def test_unknown_action_fails(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, FLOW % ("nobody.knows", ""))
    await bot.say("hi")
    assert bot.take() == ["failed"]
    (run,) = await bot.runs()
    (call,) = [log for log in await bot.logs(run.id) if log.kind == "call"]
    assert "unknown action 'nobody.knows'" in call.data["reason"]


@pytest.fixture
async def api() -> AsyncIterator[TestServer]:
    async def handler(request: web.Request) -> web.Response:
        status = int(request.match_info["status"])
        return web.json_response({"path": request.path}, status=status)

    app = web.Application()
    app.router.add_get("/status/{status}", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


@pytest.mark.parametrize(("status", "reply"), [(200, "ok 200"), (404, "declined"), (503, "failed")])
async def test_http_request_action(
    services: Services, tmp_path: Path, api: TestServer, status: int, reply: str
) -> None:
    url = str(api.make_url(f"/status/{status}"))
    bot = await start(services, tmp_path, FLOW % ("http_request", url))
    async with OutboundHttp(["127.0.0.1"]) as outbound:
        registry(bot).register("http_request", make_http_request_action(outbound))
        await bot.say("hi")
    assert bot.take() == [reply]


async def test_http_request_refuses_loopback_unless_allowed(
    services: Services, tmp_path: Path, api: TestServer
) -> None:
    bot = await start(services, tmp_path, FLOW % ("http_request", str(api.make_url("/status/200"))))
    async with OutboundHttp([]) as outbound:
        registry(bot).register("http_request", make_http_request_action(outbound))
        await bot.say("hi")
    assert bot.take() == ["failed"]
