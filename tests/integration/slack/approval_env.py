"""The whole app (integrations, engine, Slack console) on one database, restartable.

Customers write through a recording channel; Stripe and Slack are loopback fakes driven
by the real ``stripe`` and ``slack_sdk`` libraries; Slack's button presses are signed as
Slack signs them. ``ApprovalRig.restart`` stops the app and starts a new one on the same
database, as a redeploy or a crash would.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.app.app import create_app
from bot.app.engine_component import RUNNER, setup_engine
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.runner import WorkflowRunner
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from bot.storage.models import Agent, WorkflowRun
from channels.testing import RecordingChannel
from integrations.component import setup_integrations
from integrations.slack.blocks import Actions
from integrations.slack.component import SlackComponent
from tests.conftest import make_settings
from tests.fakes.slack import FakeSlack, SlackSender
from tests.fakes.stripe import FakeStripe
from tests.harness import EXAMPLES

SECRET = "signing-secret-for-tests"
STRIPE_KEY = "sk_test_approvals"
AGENT, ADMIN, STRANGER = "UAGENT", "UADMIN", "USTRANGER"


@dataclass
class RunningApp:
    """One process: its services, the recording channel and a signed Slack sender."""

    services: Services
    channel: RecordingChannel
    slack: SlackSender
    runner: WorkflowRunner
    site: web.AppRunner
    _ids: Any = field(default_factory=lambda: itertools.count(1))


class ApprovalRig:
    """Starts (and restarts) the app; remembers what the customer was told."""

    def __init__(
        self,
        url: str,
        clock: FakeClock,
        slack: FakeSlack,
        stripe: FakeStripe,
        http: aiohttp.ClientSession,
        workflows: Path,
        **settings: object,
    ) -> None:
        self.url, self.clock, self.fake, self.stripe, self.http = url, clock, slack, stripe, http
        self.workflows = workflows
        self.extra = settings
        self.app: RunningApp | None = None
        self.told: list[str] = []
        self._messages = itertools.count(1)

    @property
    def running(self) -> RunningApp:
        assert self.app is not None
        return self.app

    @property
    def services(self) -> Services:
        return self.running.services

    async def start(self) -> RunningApp:
        values: dict[str, object] = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_INBOX_CHANNEL": "CINBOX",
            "SLACK_API_BASE_URL": self.fake.api_url,
            "STRIPE_API_KEY": STRIPE_KEY,
            "STRIPE_API_BASE_URL": self.stripe.url,
            "RELAYBOT_WORKFLOWS_DIR": str(self.workflows),
        }
        values.update(self.extra)
        settings = make_settings(self.url, **values)
        services = build_services(settings, self.clock)
        channel = RecordingChannel("test")
        services.add_channel(channel)

        def slack(app: web.Application, services: Services) -> None:
            SlackComponent(services).install(app, pace_seconds=0)

        app = create_app(
            settings,
            services=services,
            components=[setup_integrations, setup_engine, slack],
            background=False,
            migrate=False,
        )
        site = web.AppRunner(app, access_log=None)
        await site.setup()
        tcp = web.TCPSite(site, "127.0.0.1", 0)
        await tcp.start()
        port = site.addresses[0][1]
        sender = SlackSender(
            self.http, f"http://127.0.0.1:{port}/slack/events", SECRET, self.fake.response_url()
        )
        self.app = RunningApp(services, channel, sender, app[RUNNER], site)
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            self.told.extend(m.text for m in self.app.channel.sent)
            await self.app.site.cleanup()
            self.app = None

    async def restart(self) -> RunningApp:
        await self.stop()
        return await self.start()

    async def add_agents(self) -> None:
        async with self.services.uow() as tx:
            tx.session.add_all(
                [
                    Agent(name="Ana Agent", email="ana@example.com", slack_user_id=AGENT, roles=[]),
                    Agent(
                        name="Adam Admin", email="adam@example.com", slack_user_id=ADMIN, roles=[]
                    ),
                ]
            )

    async def say(self, text: str | None = None, *, payload: str | None = None) -> None:
        """The customer writes (or presses a button); everything it causes runs."""
        await self.services.inbox.receive(
            InboundMessage(
                channel="test",
                external_conversation_id="c1",
                external_message_id=f"m{next(self._messages)}",
                sender=SenderProfile(external_id="c1", name="Jane Doe"),
                kind="button" if payload else "text",
                text=text,
                payload=payload,
            )
        )
        await self.settle()

    async def settle(self) -> None:
        await settle(self.services)

    def replies(self) -> list[str]:
        """Everything the customer was told, across restarts."""
        current = [m.text for m in self.app.channel.sent] if self.app is not None else []
        return [*self.told, *current]

    async def ask_refund(self, reference: str, amount: str) -> None:
        """Through the example flow up to the customer's yes."""
        await self.say("I'd like a refund")
        await self.say(reference)
        await self.say(amount)
        await self.say(payload="yes")

    def requests(self) -> list[dict[str, Any]]:
        """The approval requests posted to Slack (with their ``ts``)."""
        return [m for m in self.fake.messages if str(m["text"]).startswith("Approval needed")]

    def updates(self) -> list[dict[str, Any]]:
        """``chat.update`` calls on approval requests (not on conversation headers)."""
        posted = {m["ts"] for m in self.requests()}
        return [m for m in self.fake.calls("chat.update") if m.get("ts") in posted]

    async def press(self, action_id: str, user: str = AGENT, request: int = 0) -> str:
        """Press Approve or Reject on a posted request; returns the private answer."""
        posted = self.requests()[request]
        (actions,) = [b for b in posted["blocks"] if b["type"] == "actions"]
        value = next(e["value"] for e in actions["elements"] if e["action_id"] == action_id)
        before = len(self.fake.responses())
        status, _ = await self.running.slack.click(action_id, user, value=value)
        assert status == 200
        replies = await self.fake.wait_responses(before + 1)
        return str(replies[before]["text"])

    async def run(self) -> WorkflowRun:
        async with self.services.db.session() as session:
            (row,) = (await session.scalars(select(WorkflowRun))).all()
            return row


def workflow_dir(tmp_path: Path) -> Path:
    """A folder holding only the refund example."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    shutil.copy(EXAMPLES / "refund.yaml", folder / "refund.yaml")
    return folder


__all__ = ["ADMIN", "AGENT", "STRANGER", "Actions", "ApprovalRig", "workflow_dir"]
