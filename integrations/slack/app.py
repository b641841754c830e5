"""The Bolt app and its mount point in our aiohttp application: ``POST /slack/events``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.core.errors import ConfigError
from integrations.slack import actions, approvals, events, relay
from integrations.slack.client import build_client
from integrations.slack.console import SlackConsole
from integrations.slack.memory import InMemoryReceiptStore
from integrations.slack.ports import ApprovalDesk, ConsoleBackend, ThreadRegistry
from integrations.slack.receipts import ReceiptWorker, StoreBeforeAck

logger = logging.getLogger(__name__)

SLACK_CONSOLE = web.AppKey("slack_console", SlackConsole)
SLACK_EVENTS_PATH = "/slack/events"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"


def create_bolt_app(console: SlackConsole, signing_secret: str, worker: ReceiptWorker) -> AsyncApp:
    """Verification first (bad or stale signature: 401), then stored before the ack
    (repeats dropped); ``worker`` runs the listeners on what was stored, to the end
    (hence ``process_before_response``: the HTTP answer went out already).

    Bolt gets the bot token, not our client: Bolt reads ``SLACK_BOT_TOKEN`` from the
    environment itself and warns that the token is unused whenever a client comes with
    it. The client it builds from the token is then pointed where ours goes."""
    bolt = AsyncApp(
        token=console.client.token,
        signing_secret=signing_secret,
        request_verification_enabled=True,
        process_before_response=True,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("integrations.slack.bolt"),
    )
    share_connection(bolt.client, console.client)
    bolt.use(StoreBeforeAck(worker.store, worker))
    worker.bolt = bolt

    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        logger.error(
            "slack listener failed: %s",
            type(error).__name__,
            exc_info=error,
            extra={"slack_request_type": body.get("type")},
        )

    bolt.error(on_error)
    relay.register(bolt, console)
    actions.register(bolt, console)
    approvals.register(bolt, console)
    events.register(bolt, console)
    return bolt


def share_connection(bolt_client: AsyncWebClient, ours: AsyncWebClient) -> None:
    """Bolt's client (its per-request copies read these) uses our base URL, HTTP session
    and retry policy (none: the outbox and Slack's redelivery retry)."""
    bolt_client.base_url = ours.base_url
    bolt_client.session = ours.session
    bolt_client.retry_handlers = list(ours.retry_handlers)


async def read_bolt_request(request: web.Request) -> AsyncBoltRequest:
    """The request as Bolt sees it; a body Bolt cannot parse is a 400, not a crash, and
    a missing or non-numeric signature time is a 401 (Bolt would fail reading it)."""
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not (timestamp.isascii() and timestamp.isdigit()):
        logger.info("slack request refused: unreadable %s", TIMESTAMP_HEADER)
        raise web.HTTPUnauthorized(text="invalid request")
    try:
        return await to_bolt_request(request)
    except (ValueError, AttributeError, TypeError) as exc:
        raise web.HTTPBadRequest(text="unreadable Slack request body") from exc


class SlackEventsView:
    """The two conversion functions around Bolt's dispatcher, as one aiohttp handler."""

    def __init__(self, bolt: AsyncApp) -> None:
        self.bolt = bolt

    async def handle(self, request: web.Request) -> web.Response:
        bolt_response = await self.bolt.async_dispatch(await read_bolt_request(request))
        return await to_aiohttp_response(bolt_response)


def build_console(
    settings: Settings,
    backend: ConsoleBackend,
    http_session: aiohttp.ClientSession,
    *,
    registry: ThreadRegistry,
    routes: Mapping[str, str] | None = None,
    follow_ups: bool = True,
    approvals: ApprovalDesk | None = None,
    worker: ReceiptWorker | None = None,
) -> tuple[SlackConsole, AsyncApp]:
    """The console and its Bolt app, not mounted anywhere yet.

    ``worker`` keeps the requests (in memory when not given: one process, no restarts).
    """
    if settings.slack_signing_secret is None:
        raise ConfigError("SLACK_SIGNING_SECRET is not set")
    console = SlackConsole(
        client=build_client(settings, http_session),
        backend=backend,
        registry=registry,
        http_session=http_session,
        inbox_channel=settings.slack_inbox_channel,
        admin_user_ids=settings.slack_admin_user_ids,
        routes=settings.slack_inbox_routes if routes is None else routes,
        follow_ups=follow_ups,
        approvals=approvals,
    )
    worker = worker or ReceiptWorker(InMemoryReceiptStore())
    secret = settings.slack_signing_secret.get_secret_value()
    return console, create_bolt_app(console, secret, worker)


def setup_slack(
    app: web.Application,
    settings: Settings,
    backend: ConsoleBackend,
    http_session: aiohttp.ClientSession,
    *,
    registry: ThreadRegistry,
    routes: Mapping[str, str] | None = None,
) -> SlackConsole:
    """Mount the console at ``POST /slack/events`` and keep it under :data:`SLACK_CONSOLE`."""
    console, bolt = build_console(settings, backend, http_session, registry=registry, routes=routes)
    app.router.add_post(SLACK_EVENTS_PATH, SlackEventsView(bolt).handle)
    app[SLACK_CONSOLE] = console
    return console
