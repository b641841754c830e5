"""The http_request action: every exit, against a loopback API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from integrations.http_request import make_http_request_action
from integrations.outbound_http import OutboundHttp
from tests.fakes.base import FakeServer, Recorded
from workflows.actions import Action, ActionContext

CTX = ActionContext(run_id=1, step_id="call", idempotency_key="run-1:call")


class Api(FakeServer):
    def __init__(self) -> None:
        super().__init__()

        async def item(request: web.Request, recorded: Recorded) -> web.Response:
            return web.json_response(
                {"id": request.match_info["id"], "got": recorded.body.decode()}
            )

        async def plain(request: web.Request, recorded: Recorded) -> web.Response:
            return web.Response(text="pong")

        self.route("*", "/items/{id}", item)
        self.route("GET", "/ping", plain)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    fake = Api()
    async with fake:
        yield fake


@pytest.fixture
def action(outbound: OutboundHttp) -> Action:
    return make_http_request_action(outbound, default_timeout_s=5)


async def test_post_json_success(api: Api, action: Action) -> None:
    result = await action(
        {"method": "post", "url": f"{api.url}/items/9", "json": {"a": 1}, "headers": {"X-K": 1}},
        CTX,
    )
    assert result.outcome == "success"
    assert result.data["status"] == 200
    assert result.data["json"]["id"] == "9"
    (got,) = api.received("/items/9")
    assert got.method == "POST"
    assert got.json() == {"a": 1}
    assert got.headers["X-K"] == "1"


async def test_text_answer_and_raw_body(api: Api, action: Action) -> None:
    result = await action({"url": f"{api.url}/ping"}, CTX)
    assert result.data == {"status": 200, "text": "pong"}
    result = await action({"method": "PUT", "url": f"{api.url}/items/1", "body": "raw"}, CTX)
    assert result.data["json"]["got"] == "raw"


@pytest.mark.parametrize(
    ("status", "outcome"), [(404, "declined"), (422, "declined"), (503, "failure")]
)
async def test_error_statuses(api: Api, action: Action, status: int, outcome: str) -> None:
    api.fail_next(status, body={"error": "nope"})
    result = await action({"url": f"{api.url}/items/1"}, CTX)
    assert result.outcome == outcome
    assert result.data == {"status": status, "json": {"error": "nope"}}
    assert f"HTTP {status}" in (result.reason or "")


async def test_timeout_is_failure(api: Api, action: Action) -> None:
    api.slow_next(1.0)
    result = await action({"url": f"{api.url}/ping", "timeout": 0.1}, CTX)
    assert result.outcome == "failure"
    assert "timed out" in (result.reason or "")


async def test_unreachable_is_failure(action: Action) -> None:
    async with Api() as gone:
        url = f"{gone.url}/ping"
    result = await action({"url": url}, CTX)
    assert result.outcome == "failure"
    assert "failed" in (result.reason or "")


async def test_loopback_refused_unless_allow_listed(api: Api) -> None:
    async with OutboundHttp([]) as guarded:
        result = await make_http_request_action(guarded)({"url": f"{api.url}/ping"}, CTX)
    assert result.outcome == "failure"
    assert "RELAYBOT_WEBHOOK_ALLOWED_HOSTS" in (result.reason or "")
    assert api.requests == []


@pytest.mark.parametrize(
    "inputs",
    [
        {},
        {"url": "http://127.0.0.1/", "method": "TRACE"},
        {"url": "http://127.0.0.1/", "json": {}, "body": "x"},
        {"url": "http://127.0.0.1/", "headers": ["x"]},
    ],
)
async def test_bad_inputs_are_failure(action: Action, inputs: dict[str, object]) -> None:
    result = await action(inputs, CTX)
    assert result.outcome == "failure"
    assert result.reason
