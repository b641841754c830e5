"""The Stripe fake, able to make a refund and then never answer: its caller dies waiting."""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.fakes.base import Recorded
from tests.fakes.stripe import FakeStripe


class StallingStripe(FakeStripe):
    """After :meth:`stall_next`, the next refund is made and stored, then the answer is
    held until the fake stops. ``stalled`` is set once the refund exists."""

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.stalled = asyncio.Event()
        self.stalled_key: str | None = None
        self._stall = False
        self._release = asyncio.Event()

    def stall_next(self) -> None:
        self._stall = True

    async def _create_refund(self, request: web.Request, recorded: Recorded) -> web.Response:
        response = await super()._create_refund(request, recorded)
        if self._stall:
            self._stall = False
            self.stalled_key = request.headers.get("Idempotency-Key")
            self.stalled.set()
            await self._release.wait()
        return response

    async def stop(self) -> None:
        self._release.set()
        await super().stop()
