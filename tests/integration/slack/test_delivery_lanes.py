"""Delivery lanes: Slack's pace and its 429s hold back only their own channel.

The real python-telegram-bot and slack_sdk clients talk to the fake Bot API and the fake
Slack on 127.0.0.1; the outbox paces Slack at one post a second per channel on a
FakeClock, so every wait below is the clock moving, never a sleep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.console_views import ConversationSummary
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.replies import queue_reply
from bot.pipeline.delivery import ChannelSender
from bot.pipeline.notify import SLACK_POST
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from bot.storage.app.conversation_queries import find_conversation
from bot.storage.models import OutboxItem
from channels.component import setup_channels
from integrations.slack.component import SlackComponent
from integrations.slack.threads import pick_channel
from tests.conftest import make_settings
from tests.fakes import telegram as telegram_fake
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TelegramFake

PACE = 1.0
RETRY_AFTER = 30


@dataclass
class Lanes:
    services: Services
    clock: FakeClock
    slack: FakeSlack
    telegram: TelegramFake

    def slack_posts(self, channel: str) -> list[str]:
        return [str(m["text"]) for m in self.slack.posts(channel)]

    def telegram_texts(self) -> list[str]:
        return [
            str(telegram_fake.params(r)["text"]) for r in self.telegram.received("/sendMessage")
        ]

    async def slack_notes(self, channel: str, count: int) -> list[str]:
        """Queue ``count`` posts into a Slack channel, in order."""
        texts = [f"note {n} in {channel}" for n in range(count)]
        async with self.services.uow() as tx:
            for text in texts:
                tx.writes.enqueue(
                    SLACK_POST, {"channel": channel, "text": text}, destination=f"slack:{channel}"
                )
        return texts

    async def customer_reply(self, chat: str, text: str, channel: str = "telegram") -> int:
        """A customer's conversation and a reply queued to it; the conversation's id."""
        result = await self.services.inbox.receive(
            InboundMessage(
                channel=channel,
                external_conversation_id=chat,
                external_message_id=f"in-{chat}-{text}",
                sender=SenderProfile(external_id=chat, name="Ada"),
                text="hi",
            )
        )
        assert result.conversation_id is not None
        await self.reply(result.conversation_id, text)
        return result.conversation_id

    async def reply(self, conversation_id: int, text: str) -> None:
        async with self.services.uow() as tx:
            conversation = await find_conversation(tx, conversation_id)
            assert conversation is not None
            await queue_reply(tx, conversation, text)


@asynccontextmanager
async def open_lanes(url: str, clock: FakeClock, **settings: str) -> AsyncIterator[Lanes]:
    """Services with Telegram and the Slack console (paced) against the fakes."""
    telegram = await TelegramFake().start()
    slack = await FakeSlack().start()
    assert isinstance(telegram, TelegramFake) and isinstance(slack, FakeSlack)
    services = build_services(
        make_settings(
            url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_WEBHOOK_SECRET="s",
            TELEGRAM_API_BASE_URL=telegram.base_url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="s",
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_API_BASE_URL=slack.api_url,
            **settings,
        ),
        clock,
    )
    app = web.Application()
    setup_channels(app, services)
    ChannelSender(services).register()
    component = SlackComponent(services)
    component.install(app, pace_seconds=PACE)
    await component.start(app)
    try:
        yield Lanes(services, clock, slack, telegram)
    finally:
        await component.stop(app)
        await services.close()
        await slack.stop()
        await telegram.stop()


@pytest.fixture
async def lanes(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Lanes]:
    async with open_lanes(sqlite_url, clock) as opened:
        yield opened


async def test_a_customer_reply_queued_behind_paced_slack_posts_goes_out_at_once(
    lanes: Lanes,
) -> None:
    outbox = lanes.services.outbox
    outbox.workers = 2  # fewer than the Slack posts waiting: they must not hold the claims
    notes = await lanes.slack_notes("CBUSY", 10)
    loop = asyncio.create_task(outbox.run(poll_interval=3600))
    try:
        await lanes.slack.wait_for("/api/chat.postMessage", 1)
        await lanes.customer_reply("1001", "your order shipped")
        await lanes.telegram.wait_for("/sendMessage", 1)
        assert lanes.telegram_texts() == ["your order shipped"]
        # the clock has not moved: one Slack post so far, the rest wait for their pace
        assert lanes.slack_posts("CBUSY") == notes[:1]

        for sent in range(2, 4):
            lanes.clock.advance(timedelta(seconds=PACE))
            lanes.services.signals.outbox.set()
            await lanes.slack.wait_for("/api/chat.postMessage", sent)
            assert lanes.slack_posts("CBUSY") == notes[:sent]  # one a second, in order
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_a_slack_429_holds_its_channel_back_and_nothing_else(lanes: Lanes) -> None:
    outbox = lanes.services.outbox
    held = await lanes.slack_notes("CHELD", 3)
    free = await lanes.slack_notes("CFREE", 1)
    await lanes.customer_reply("1001", "right away")
    lanes.slack.rate_limit_channel("CHELD", RETRY_AFTER)
    start = lanes.clock.now()
    await outbox.run_once()
    assert lanes.slack_posts("CHELD") == []
    assert lanes.slack_posts("CFREE") == free
    assert lanes.telegram_texts() == ["right away"]
    assert outbox.not_before("slack:CHELD") == start + timedelta(seconds=RETRY_AFTER)
    async with lanes.services.db.read() as session:
        due = set(
            await session.scalars(
                select(OutboxItem.next_attempt_at).where(
                    OutboxItem.destination == "slack:CHELD", OutboxItem.status == "pending"
                )
            )
        )
    assert min(due) >= start + timedelta(seconds=RETRY_AFTER)

    # another channel queued meanwhile is not held with it
    later = await lanes.slack_notes("CLATER", 1)
    lanes.clock.advance(timedelta(seconds=RETRY_AFTER - 1))
    await outbox.drain()
    assert lanes.slack_posts("CHELD") == []
    assert lanes.slack_posts("CLATER") == later

    # once Slack's time has passed, the channel goes on at its pace, in order
    for sent in range(1, 4):
        lanes.clock.set(start + timedelta(seconds=RETRY_AFTER + (sent - 1) * PACE))
        await outbox.drain()
        assert lanes.slack_posts("CHELD") == held[:sent]


async def test_threads_open_in_the_inbox_channel_their_routes_pick(
    sqlite_url: str, clock: FakeClock
) -> None:
    routes = "telegram=CTELEGRAM,team:billing=CBILLING"
    async with open_lanes(sqlite_url, clock, SLACK_INBOX_ROUTES=routes) as routed:
        await routed.customer_reply("1001", "hello on telegram")
        await routed.customer_reply("v-1", "hello on the widget", channel="widget")
        await settle(routed.services)
        for _ in range(10):  # the headers, then each thread's lines, a second apart
            routed.clock.advance(timedelta(seconds=PACE))
            await settle(routed.services)
        headers = {
            (m["channel"], "telegram" in json.dumps(m["blocks"]))
            for m in routed.slack.messages
            if m.get("thread_ts") is None
        }
        assert headers == {("CTELEGRAM", True), ("CINBOX", False)}
        lines = {m["channel"]: m["text"] for m in routed.slack.messages if m.get("thread_ts")}
        assert "hi" in lines["CTELEGRAM"] and "hello on telegram" in lines["CTELEGRAM"]
        assert "hello on the widget" in lines["CINBOX"]


def test_a_team_route_comes_before_the_customer_channel_and_the_inbox_after_both() -> None:
    routes = Settings(
        SLACK_INBOX_ROUTES="telegram=C1, whatsapp=C2,team:billing=C3"
    ).slack_inbox_routes
    assert routes == {"telegram": "C1", "whatsapp": "C2", "team:billing": "C3"}
    billing = ConversationSummary("1", "telegram", "Ada", team="billing")
    assert pick_channel(billing, routes, "CINBOX") == "C3"
    assert pick_channel(replace(billing, team="sales"), routes, "CINBOX") == "C1"
    assert pick_channel(replace(billing, team=None, channel="widget"), routes, "CINBOX") == "CINBOX"
    assert pick_channel(replace(billing, team=None), {"channel:telegram": "C9"}, None) == "C9"
    with pytest.raises(ValidationError):
        Settings(SLACK_INBOX_ROUTES="telegram")


async def test_mirror_lines_of_one_thread_waiting_together_go_out_in_one_post_in_order(
    lanes: Lanes,
) -> None:
    conversation = await lanes.customer_reply("1001", "first")
    await settle(lanes.services)
    header = lanes.slack.posts("CINBOX")
    assert len(header) == 1 and header[0]["thread_ts"] is None  # the lines wait for the pace
    await lanes.reply(conversation, "second")
    await lanes.reply(conversation, "third")
    await settle(lanes.services)
    lanes.clock.advance(timedelta(seconds=PACE))
    await settle(lanes.services)
    posts = lanes.slack.posts("CINBOX")
    assert len(posts) == 2
    lines = [block["text"]["text"] for block in posts[1]["blocks"]]
    assert lines == ["*Ada:* hi", "*Bot:* first", "*Bot:* second", "*Bot:* third"]
    assert posts[1]["thread_ts"] == header[0]["ts"]
    assert posts[1]["text"].splitlines() == ["Ada: hi", "Bot: first", "Bot: second", "Bot: third"]
    async with lanes.services.db.read() as session:
        statuses = set(
            await session.scalars(
                select(OutboxItem.status).where(OutboxItem.destination == "slack:CINBOX")
            )
        )
    assert statuses == {"done"}
