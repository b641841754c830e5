"""A storm of 429s with Retry-After from each fake platform the outbox sends to.

Many outbound items are queued; the fake answers the first sends with 429 and a
Retry-After. The outbox is driven by hand on a FakeClock, one second at a time (no
sleeps). Checked: every item ends done, each reached the platform exactly once (nothing
dropped, nothing sent twice), per chat in order, and no item was tried again before
the Retry-After it was given. E-mail goes over SMTP and is not part of this.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.replies import queue_reply
from bot.pipeline.delivery import ChannelSender
from bot.pipeline.notify import SLACK_POST
from bot.pipeline.run_store import WEBHOOK
from bot.pipeline.services import Services, build_services
from bot.storage.app.conversation_queries import find_conversation
from bot.storage.models import OutboxItem
from channels.component import setup_channels
from integrations.component import install_integrations
from integrations.slack.component import SlackComponent
from tests.conftest import make_settings
from tests.fakes import slack as slack_fake
from tests.fakes import telegram as telegram_fake
from tests.fakes.base import FakeServer, Recorded
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TelegramFake
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioFake

RETRY_AFTER = 30
STORM = 12  # 429s in a row
CHATS = 3
PER_CHAT = 6


class Receiver(FakeServer):
    """A webhook endpoint that answers 200."""

    def __init__(self) -> None:
        super().__init__()

        async def ok(request: web.Request, recorded: Recorded) -> web.Response:
            return web.json_response({"ok": True})

        self.route("POST", "/hook", ok)


@dataclass
class Platform:
    fake: FakeServer
    path: str
    services: Services
    text_of: Callable[[Recorded], str]
    enqueue: Callable[[], Awaitable[dict[str, list[str]]]]


async def customer_chats(
    services: Services, channel: str, chats: list[str]
) -> dict[str, list[str]]:
    """A conversation per chat, each with PER_CHAT replies queued; returns chat -> texts."""
    expected: dict[str, list[str]] = {}
    for chat in chats:
        result = await services.inbox.receive(
            InboundMessage(
                channel=channel,
                external_conversation_id=chat,
                external_message_id=f"in-{chat}",
                sender=SenderProfile(external_id=chat, name="Ada"),
                text="hi",
            )
        )
        assert result.conversation_id is not None
        expected[chat] = [f"reply {n} to {chat}" for n in range(PER_CHAT)]
        async with services.uow() as tx:
            conversation = await find_conversation(tx, result.conversation_id)
            assert conversation is not None
            for text in expected[chat]:
                await queue_reply(tx, conversation, text)
    return expected


def settings_for(url: str, **extra: Any) -> Settings:
    return make_settings(url, RELAYBOT_OUTBOX_MAX_ATTEMPTS=50, **extra)


async def telegram(url: str, clock: FakeClock) -> Platform:
    fake = await TelegramFake().start()
    assert isinstance(fake, TelegramFake)
    services = build_services(
        settings_for(
            url,
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_WEBHOOK_SECRET="s",
            TELEGRAM_API_BASE_URL=fake.base_url,
        ),
        clock,
    )
    setup_channels(web.Application(), services)
    ChannelSender(services).register()
    return Platform(
        fake,
        "/sendMessage",
        services,
        lambda r: str(telegram_fake.params(r)["text"]),
        lambda: customer_chats(services, "telegram", ["1001", "1002", "1003"]),
    )


async def twilio(url: str, clock: FakeClock) -> Platform:
    fake = await TwilioFake().start()
    services = build_services(
        settings_for(
            url,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
            TWILIO_API_BASE_URL=fake.url,
        ),
        clock,
    )
    setup_channels(web.Application(), services)
    ChannelSender(services).register()
    chats = [f"whatsapp:+1415555010{n}" for n in range(CHATS)]
    return Platform(
        fake,
        "/Messages.json",
        services,
        lambda r: r.form["Body"],
        lambda: customer_chats(services, "whatsapp", chats),
    )


async def slack(url: str, clock: FakeClock) -> Platform:
    fake = await FakeSlack().start()
    assert isinstance(fake, FakeSlack)
    services = build_services(
        settings_for(
            url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="s",
            SLACK_INBOX_CHANNEL="CINBOX",
            SLACK_API_BASE_URL=fake.api_url,
        ),
        clock,
    )
    app = web.Application()
    component = SlackComponent(services)
    component.install(app, pace_seconds=0)
    await component.start(app)

    async def enqueue() -> dict[str, list[str]]:
        expected: dict[str, list[str]] = {}
        async with services.uow() as tx:
            for n in range(CHATS):
                channel = f"C{n}"
                expected[channel] = [f"note {i} in {channel}" for i in range(PER_CHAT)]
                for text in expected[channel]:
                    tx.writes.enqueue(
                        SLACK_POST,
                        {"channel": channel, "text": text},
                        destination=f"slack:{channel}",
                    )
        return expected

    return Platform(
        fake, "/chat.postMessage", services, lambda r: str(slack_fake.params(r)["text"]), enqueue
    )


async def webhook(url: str, clock: FakeClock) -> Platform:
    fake = await Receiver().start()
    services = build_services(settings_for(url, RELAYBOT_WEBHOOK_ALLOWED_HOSTS="127.0.0.1"), clock)
    install_integrations(services)

    async def enqueue() -> dict[str, list[str]]:
        texts = [f"event {n}" for n in range(CHATS * PER_CHAT)]
        async with services.uow() as tx:
            for text in texts:
                tx.writes.enqueue(
                    WEBHOOK,
                    {
                        "url": f"{fake.url}/hook",
                        "body": {"text": text},
                        "headers": {},
                        "secret": None,
                        "delivery_id": text,
                    },
                    key=f"webhook:{text}",
                )
        return {"": texts}

    return Platform(fake, "/hook", services, lambda r: str(json.loads(r.body)["text"]), enqueue)


PLATFORMS = {"telegram": telegram, "twilio": twilio, "slack": slack, "webhook": webhook}


@pytest.fixture(params=sorted(PLATFORMS))
async def platform(
    request: pytest.FixtureRequest, sqlite_url: str, clock: FakeClock
) -> AsyncIterator[Platform]:
    built = await PLATFORMS[request.param](sqlite_url, clock)
    yield built
    await built.services.close()
    await built.fake.stop()


async def pending(services: Services) -> int:
    async with services.db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")
            )
            or 0
        )


async def test_storm_of_429s_drops_nothing_and_honours_retry_after(
    platform: Platform, clock: FakeClock
) -> None:
    expected = await platform.enqueue()
    platform.fake.fail_next(
        429, times=STORM, headers={"Retry-After": str(RETRY_AFTER)}, path_contains=platform.path
    )
    arrivals: list[tuple[datetime, str]] = []
    for _ in range(3600):
        await platform.services.outbox.run_once()
        seen = platform.fake.received(platform.path)[len(arrivals) :]
        arrivals.extend((clock.now(), platform.text_of(r)) for r in seen)
        if not await pending(platform.services):
            break
        clock.advance(timedelta(seconds=1))

    assert await pending(platform.services) == 0
    async with platform.services.db.session() as session:
        statuses = set(await session.scalars(select(OutboxItem.status)))
    assert statuses == {"done"}
    limited, delivered = arrivals[:STORM], arrivals[STORM:]
    assert len(limited) == STORM
    all_texts = sorted(t for texts in expected.values() for t in texts)
    assert sorted(text for _, text in delivered) == all_texts  # each once: none dropped or doubled
    for chat, texts in expected.items():
        if chat:  # one chat's items go out in order
            assert [t for _, t in delivered if t in set(texts)] == texts
    for index, (refused_at, text) in enumerate(limited):
        retried_at = next(at for at, t in arrivals[index + 1 :] if t == text)
        assert retried_at - refused_at >= timedelta(seconds=RETRY_AFTER), text
