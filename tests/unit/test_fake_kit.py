"""The fake-server kit records requests and misbehaves on request."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from tests.fakes.base import FakeServer, Recorded


class EchoFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()

        async def echo(request: web.Request, recorded: Recorded) -> web.Response:
            return web.json_response({"ok": True, "got": recorded.json()})

        self.route("POST", "/echo", echo)


async def test_records_requests_and_answers() -> None:
    async with EchoFake() as fake, aiohttp.ClientSession() as http:
        async with http.post(f"{fake.url}/echo", json={"a": 1}) as resp:
            assert resp.status == 200
            assert (await resp.json())["got"] == {"a": 1}
        assert [r.path for r in fake.received("/echo")] == ["/echo"]
        assert fake.requests[0].json() == {"a": 1}


async def test_scripted_429_then_success() -> None:
    async with EchoFake() as fake, aiohttp.ClientSession() as http:
        fake.fail_next(429, headers={"Retry-After": "3"}, body={"ok": False})
        async with http.post(f"{fake.url}/echo", json={}) as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "3"
        async with http.post(f"{fake.url}/echo", json={}) as resp:
            assert resp.status == 200
        assert len(fake.received("/echo")) == 2


async def test_fault_only_on_matching_path() -> None:
    async with EchoFake() as fake, aiohttp.ClientSession() as http:
        fake.fail_next(503, path_contains="/other")
        async with http.post(f"{fake.url}/echo", json={}) as resp:
            assert resp.status == 200
        assert fake.faults  # still waiting for a matching request
