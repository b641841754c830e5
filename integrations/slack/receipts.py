"""Slack requests are committed before they are acknowledged, and their work done from there.

:class:`StoreBeforeAck` runs right after Bolt's signature check. It commits each request
under its key (:func:`request_key`) and only then answers 200; a repeat (Slack's retry,
in this process or another, before or after a restart) is answered 200 and dropped; a
request that cannot be stored gets 503, so Slack sends it again. The listeners run
afterwards through :class:`ReceiptWorker`, which feeds the stored request through the
Bolt app once more; work that fails is tried again from the store, and set aside after
:data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.core.errors import StorageTimeout
from integrations.slack.ports import ReceiptStore, SlackRequest

logger = logging.getLogger(__name__)

STORED = "relaybot_stored_request"
"""Bolt context flag of a request fed from the store (already verified and committed)."""
MAX_ATTEMPTS = 5
BATCH = 50
PRUNE_EVERY_S = 3600.0
ANSWERED_IN_REQUEST = frozenset({"view_submission"})
"""Requests whose HTTP answer carries the listener's result (a modal's field errors)."""


def request_key(body: Mapping[str, Any], raw_body: str) -> str:
    """The request's identity, the same on every delivery of it.

    An event's ``event_id``; an interaction's or command's ``trigger_id``; otherwise
    a digest of the body (Slack signs the time in a header, so a retry's body is the same).
    """
    kind = str(body.get("type") or ("command" if body.get("command") else "request"))
    event_id = body.get("event_id")
    if kind == "event_callback" and isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    trigger_id = body.get("trigger_id")
    if isinstance(trigger_id, str) and trigger_id:
        return f"{kind}:{trigger_id}"
    return f"{kind}:sha256:{hashlib.sha256(raw_body.encode('utf-8')).hexdigest()}"


class ReceiptWorker:
    """Runs the listeners for stored requests and records how that went."""

    def __init__(self, store: ReceiptStore, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.store = store
        self.max_attempts = max_attempts
        self.bolt: AsyncApp | None = None
        """The app whose listeners do the work; set once it is built."""
        self._tasks: set[asyncio.Task[BoltResponse]] = set()

    def start(self, request: SlackRequest) -> None:
        """Do ``request``'s work in the background."""
        task = asyncio.create_task(self.process(request), name=f"slack:{request.key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def process(self, request: SlackRequest) -> BoltResponse:
        """Run the listeners for ``request``; the store hears whether they succeeded."""
        if self.bolt is None:
            raise RuntimeError("the Bolt app is not built yet")
        stored = AsyncBoltRequest(
            body=request.body,
            headers={"content-type": request.content_type},
            context={STORED: True},
            mode="socket_mode",  # Bolt's way to skip a signature check that already passed
        )
        response = await self.bolt.async_dispatch(stored)
        try:
            if response.status >= 500:
                give_up = request.attempts + 1 >= self.max_attempts
                error = f"listener failed (attempt {request.attempts + 1})"
                await self.store.failed(request.key, error, give_up=give_up)
                log = logger.error if give_up else logger.warning
                log("slack request %s: %s%s", request.key, error, "; set aside" if give_up else "")
            else:
                await self.store.done(request.key)
        except Exception as exc:
            logger.warning(
                "slack request %s: outcome not recorded (%s); it is tried again", request.key, exc
            )
        return response

    async def process_due(self) -> int:
        """Claim what is waiting (failed work, or work cut short by a restart) and do it."""
        requests = await self.store.claim_due(BATCH)
        for request in requests:
            await self.process(request)
        return len(requests)

    async def run(self, interval: float) -> None:
        """Retry waiting requests every ``interval`` seconds; forget old ones now and then."""
        loop = asyncio.get_running_loop()
        pruned_at = loop.time() - PRUNE_EVERY_S
        while True:
            try:
                while await self.process_due() == BATCH:
                    pass
                if loop.time() - pruned_at >= PRUNE_EVERY_S:
                    pruned_at = loop.time()
                    await self.store.prune()
            except Exception as exc:
                logger.warning("stored slack requests not claimed (%s); trying again", exc)
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        """Let the work under way finish."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class StoreBeforeAck(AsyncMiddleware):
    """Commits a verified request before it is acknowledged; a repeat is acknowledged and dropped.

    Runs after Bolt's signature check, so forged requests are never stored.
    """

    def __init__(self, store: ReceiptStore, worker: ReceiptWorker) -> None:
        self.store = store
        self.worker = worker

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        if req.context.get(STORED):
            return await next()
        body = req.body if isinstance(req.body, dict) else {}
        request = SlackRequest(
            request_key(body, req.raw_body), req.content_type or "", req.raw_body
        )
        try:
            fresh = await self.store.store(request)
        except Exception as exc:
            logger.warning(
                "slack request %s not stored, Slack will send it again: %s", request.key, exc
            )
            wait = exc.retry_after if isinstance(exc, StorageTimeout) else 1
            return BoltResponse(status=503, body="not stored", headers={"Retry-After": str(wait)})
        if not fresh:
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            logger.info("dropping repeated slack request %s (retry %s)", request.key, retry)
            return BoltResponse(status=200, body="")
        if body.get("type") in ANSWERED_IN_REQUEST:
            return await self.worker.process(request)
        self.worker.start(request)
        return BoltResponse(status=200, body="")
