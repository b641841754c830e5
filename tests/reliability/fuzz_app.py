"""The whole app (every component on) in one event loop, driven from synchronous hypothesis tests.

Hypothesis calls test functions synchronously; :class:`FuzzApp` keeps an ``asyncio.Runner``
whose loop holds the app, its test server and the fake platform APIs, and runs each
request in it. Background workers are off: what a request writes is what it wrote.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.pipeline.services import SERVICES, Services
from tests.conftest import make_settings
from tests.fakes.slack import FakeSlack
from tests.fakes.slack import sign as slack_sign
from tests.fakes.telegram import TelegramFake
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.fakes.twilio import signed_headers as twilio_headers

TELEGRAM_SECRET = "fuzz-secret"
SLACK_SECRET = "fuzz-signing-secret"
ADMIN_TOKEN = "test-admin-token"
SHOP = "https://shop.example.com"
WHATSAPP_FROM = "whatsapp:+14155238886"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body)


# invariants that hold after every request: nothing half-written
INVARIANTS = {
    "inbound message without its message.received event": """
        SELECT count(*) FROM messages m WHERE m.direction = 'in' AND NOT EXISTS
          (SELECT 1 FROM events e WHERE e.message_id = m.id AND e.type = 'message.received')""",
    "inbound key without its message": """
        SELECT count(*) FROM inbound_keys k WHERE k.external_id != '' AND NOT EXISTS
          (SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.external_id = k.external_id AND c.channel = k.channel)""",
    "conversation with messages but no conversation.created event": """
        SELECT count(*) FROM conversations c WHERE c.message_count > 0 AND NOT EXISTS
          (SELECT 1 FROM events e WHERE e.conversation_id = c.id AND e.type = 'conversation.created')""",
    "conversation whose count disagrees with its inbound messages": """
        SELECT count(*) FROM conversations c WHERE c.message_count <
          (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in')""",
    "conversation without a contact": """
        SELECT count(*) FROM conversations c WHERE NOT EXISTS
          (SELECT 1 FROM contacts p WHERE p.id = c.contact_id)""",
}


class FuzzApp:
    """Send requests to the running app; check the database after each."""

    def __init__(self, database_url: str, workflows: Path) -> None:
        self.runner = asyncio.Runner()
        self.database_url = database_url
        self.workflows = workflows
        self.clock = FakeClock()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.runner.run(coro)

    def start(self) -> FuzzApp:
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self.telegram = await TelegramFake().start()
        self.slack = await FakeSlack().start()
        assert isinstance(self.telegram, TelegramFake) and isinstance(self.slack, FakeSlack)
        settings = make_settings(
            self.database_url,
            TELEGRAM_BOT_TOKEN=self.telegram.token,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_BASE_URL=self.telegram.base_url,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_WHATSAPP_FROM=WHATSAPP_FROM,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SLACK_SECRET,
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_ADMIN_USER_IDS=["UADMIN"],
            SLACK_API_BASE_URL=self.slack.api_url,
            RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP],
            RELAYBOT_WORKFLOWS_DIR=str(self.workflows),
        )
        self.app = create_app(settings, clock=self.clock, background=False)
        self.server = TestServer(self.app)
        await self.server.start_server()
        self.http = aiohttp.ClientSession()

    def stop(self) -> None:
        async def stop() -> None:
            await self.http.close()
            await self.server.close()
            await self.telegram.stop()
            await self.slack.stop()

        self.run(stop())
        self.runner.close()

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        async def send() -> Answer:
            async with self.http.request(
                method, self.url(path), data=body, headers=headers, params=params
            ) as response:
                return Answer(response.status, await response.read(), response.content_type)

        return self.run(send())

    def twilio(self, path: str, form: dict[str, str], *, signed: bool = True) -> Answer:
        headers = twilio_headers(self.twilio_url(path), form) if signed else {}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", path, body=urlencode(form).encode(), headers=headers)

    def twilio_url(self, path: str) -> str:
        """The URL Twilio signs: the public URL the webhook was registered under."""
        return self.services.settings.public_url.rstrip("/") + path

    def slack_post(self, body: bytes, content_type: str, *, secret: str = SLACK_SECRET) -> Answer:
        timestamp = int(self.clock.now().timestamp())
        headers = {"Content-Type": content_type, **slack_sign(secret, body, timestamp)}
        return self.request("POST", "/slack/events", body=body, headers=headers)

    def counts(self) -> dict[str, int]:
        """Rows per table (to tell 'unchanged' from 'written')."""

        async def count() -> dict[str, int]:
            tables = ("contacts", "conversations", "messages", "events", "inbound_keys", "outbox")
            async with self.services.db.session() as session:
                return {
                    t: int((await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
                    for t in tables
                }

        return self.run(count())

    def broken_invariants(self) -> list[str]:
        async def check() -> list[str]:
            broken = []
            async with self.services.db.session() as session:
                for name, sql in INVARIANTS.items():
                    if (await session.execute(text(sql))).scalar_one():
                        broken.append(name)
            return broken

        return self.run(check())


def route_table(app: web.Application) -> set[tuple[str, str]]:
    """Every (method, path) the app and its sub-apps serve (HEAD, added for GETs, left out)."""
    found: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if isinstance(sub, web.Application):
            found |= route_table(sub)
            continue
        for route in resource:
            if route.method != "HEAD":
                found.add((route.method, resource.canonical))
    return found
