"""The loopback fake-server kit: small aiohttp apps on 127.0.0.1, port 0.

A fake records every request it gets and can be told to misbehave for the next
requests on a path: answer 429 with a retry-after, 5xx, 403, or answer slowly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request, "Recorded"], Awaitable[web.StreamResponse]]
RECORDED = web.RequestKey("recorded", object)


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Fault:
    """A scripted misbehaviour for the next ``times`` matching requests."""

    status: int = 500
    times: int = 1
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    path_contains: str = ""


class FakeServer:
    """Base class: subclasses add routes with :meth:`route`; tests read :attr:`requests`."""

    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._middleware])
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            recorded = request[RECORDED]
            assert isinstance(recorded, Recorded)
            return await handler(request, recorded)

        self.app.router.add_route(method, path, wrapped)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        path_contains: str = "",
    ) -> None:
        """Answer the next ``times`` requests (whose path contains ``path_contains``) with ``status``."""
        self.faults.append(
            Fault(
                status=status,
                times=times,
                body=body,
                headers=headers or {},
                path_contains=path_contains,
            )
        )

    def slow_next(self, delay: float, *, times: int = 1, path_contains: str = "") -> None:
        """Delay the next ``times`` matching answers by ``delay`` seconds."""
        self.faults.append(Fault(status=0, times=times, delay=delay, path_contains=path_contains))

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        """How a scripted failure is written; platforms override to match their error shape."""
        if isinstance(fault.body, (dict, list)):
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return web.Response(status=fault.status, text=str(fault.body or ""), headers=fault.headers)

    def received(self, path_contains: str = "") -> list[Recorded]:
        """Requests whose path contains ``path_contains``, in arrival order."""
        return [r for r in self.requests if path_contains in r.path]

    async def wait_for(
        self, path_contains: str, count: int = 1, limit: float = 10.0
    ) -> list[Recorded]:
        """Wait until at least ``count`` matching requests arrived (a safety net, not a timing test)."""

        async def enough() -> list[Recorded]:
            while len(self.received(path_contains)) < count:
                self._arrived.clear()
                await self._arrived.wait()
            return self.received(path_contains)

        return await asyncio.wait_for(enough(), limit)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        form: dict[str, str] = {}
        if request.content_type == "application/x-www-form-urlencoded":
            form = {k: str(v) for k, v in (await request.post()).items()}
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=body,
            form=form,
        )
        request[RECORDED] = recorded
        fault = self._take_fault(request.path)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
            fault = self._take_fault(request.path, delays=False)
        if fault is not None and fault.status:
            self.requests.append(recorded)
            self._arrived.set()
            return self.fault_response(fault)
        response: web.StreamResponse = await handler(request)
        self.requests.append(recorded)
        self._arrived.set()
        return response

    def _take_fault(self, path: str, *, delays: bool = True) -> Fault | None:
        for fault in self.faults:
            if fault.path_contains not in path or (fault.delay and not delays):
                continue
            if not delays and fault.delay:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            return fault
        return None

    async def start(self) -> FakeServer:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
