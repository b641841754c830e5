"""The Slack console as an app component: on when ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET`` are set.

It mounts ``POST /slack/events`` (each request stored before it is acknowledged, its
work retried from the store), registers the outbox handlers for ``slack.dm``,
``slack.post``, ``slack.thread`` and ``approval`` (refund approvals), and subscribes the
thread mirror to domain events.
The Slack client needs the shared HTTP session, so the console itself is built on startup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp

from bot.domain.console_store import StorageConsoleBackend
from bot.domain.slack_receipts import StorageReceiptStore
from bot.domain.thread_registry import AttributeThreadRegistry
from bot.domain.thread_work import ThreadWorkStore
from bot.pipeline.approval_decisions import RunApprovals
from bot.pipeline.services import Services
from integrations.slack.app import (
    SLACK_CONSOLE,
    SLACK_EVENTS_PATH,
    build_console,
    read_bolt_request,
)
from integrations.slack.approvals import ApprovalDeliveries
from integrations.slack.console import SlackConsole
from integrations.slack.deliveries import SlackDeliveries
from integrations.slack.mirror import ThreadMirror
from integrations.slack.receipts import ReceiptWorker

logger = logging.getLogger(__name__)


class SlackComponent:
    """Holds what is built at setup (handlers, subscriber, route) and at startup (client, Bolt)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.backend = StorageConsoleBackend(services.uow)
        self.registry = AttributeThreadRegistry(services.uow)
        self.approvals = RunApprovals(services.uow)
        self.worker = ReceiptWorker(StorageReceiptStore(services.db, services.clock))
        self.console: SlackConsole | None = None
        self.bolt: AsyncApp | None = None
        self._retries: asyncio.Task[None] | None = None

    def install(self, app: web.Application, *, pace_seconds: float = 1.0) -> None:
        settings = self.services.settings
        SlackDeliveries(lambda: self.console).register(
            self.services.outbox, pace_seconds=pace_seconds
        )
        ApprovalDeliveries(
            lambda: self.console, self.approvals, settings.slack_inbox_channel
        ).register(self.services.outbox, pace_seconds=pace_seconds)
        self.services.events.subscribe(
            ThreadMirror(
                ThreadWorkStore(self.services.uow),
                settings.slack_inbox_channel,
                settings.slack_inbox_routes,
            ),
            detached=True,  # the runner answers the customer without waiting for the mirror
        )
        app.router.add_post(SLACK_EVENTS_PATH, self.handle)
        app.on_startup.append(self.start)
        app.on_shutdown.append(self.stop)

    async def start(self, app: web.Application) -> None:
        self.console, self.bolt = build_console(
            self.services.settings,
            self.backend,
            self.services.http,
            registry=self.registry,
            follow_ups=False,
            approvals=self.approvals,
            worker=self.worker,
        )
        app[SLACK_CONSOLE] = self.console
        self._retries = asyncio.create_task(
            self.worker.run(self.services.settings.poll_interval_s), name="slack-retries"
        )
        logger.info("slack console on %s", SLACK_EVENTS_PATH)

    async def stop(self, app: web.Application) -> None:
        """Stop retrying; let the work under way finish."""
        if self._retries is not None:
            self._retries.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retries
            self._retries = None
        await self.worker.stop()

    async def handle(self, request: web.Request) -> web.Response:
        if self.bolt is None:
            raise web.HTTPServiceUnavailable(text="slack console is starting")
        bolt_response = await self.bolt.async_dispatch(await read_bolt_request(request))
        return await to_aiohttp_response(bolt_response)


def setup_slack_component(
    app: web.Application, services: Services, *, pace_seconds: float = 1.0
) -> None:
    """Plug the console into the app, unless Slack is not configured."""
    if not services.settings.slack_enabled:
        return
    SlackComponent(services).install(app, pace_seconds=pace_seconds)
