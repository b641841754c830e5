"""The webhooks answer the platform only after the update is committed."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import insert, select

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage
from bot.pipeline.services import Services
from bot.storage.models import InboundJournalEntry
from channels.telegram import TelegramChannel
from channels.twilio_whatsapp import TwilioWhatsAppChannel
from tests.fakes.telegram import TelegramFake, message_update, signed_headers
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioFake, inbound_params, sign
from tests.integration.channels.conftest import RecordingInbox, make_settings


class GatedInbox:
    """A receive that stays inside until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.done: list[InboundMessage] = []

    async def receive(self, message: InboundMessage) -> object:
        self.entered.set()
        await self.release.wait()
        self.done.append(message)
        return None


async def assert_answers_after_receive(
    client: Any, gate: GatedInbox, path: str, **post: Any
) -> Any:
    request = asyncio.ensure_future(client.post(path, **post))
    await asyncio.wait_for(gate.entered.wait(), 5)
    await asyncio.sleep(0)  # give a premature answer every chance to arrive
    assert not request.done()
    gate.release.set()
    response = await asyncio.wait_for(request, 5)
    assert response.status == 200
    assert len(gate.done) == 1
    return response


async def test_telegram_answers_after_the_journal_commit(
    serve: Any, http: Any, clock: FakeClock, telegram_fake: TelegramFake, services: Services
) -> None:
    """A competing transaction holds the update's journal key: no answer until it is gone."""
    settings = make_settings(
        TELEGRAM_BOT_TOKEN=telegram_fake.token,
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        TELEGRAM_API_BASE_URL=telegram_fake.base_url,
    )
    channel = TelegramChannel(settings, http, clock, services.journal.append)
    client = await serve(channel.routes())
    async with services.db.transaction_gate(), services.db.sessions() as session:
        transaction = await session.begin()
        await session.execute(
            insert(InboundJournalEntry).values(
                channel="telegram", external_id="update:1", payload={}, received_at=clock.now()
            )
        )
        request = asyncio.ensure_future(
            client.post(
                "/webhooks/telegram",
                json=message_update(1, text="hi"),
                headers=signed_headers("s3cret"),
            )
        )
        for _ in range(20):  # give a premature answer every chance to arrive
            await asyncio.sleep(0.01)
        assert not request.done()
        await transaction.rollback()
    response = await asyncio.wait_for(request, 10)
    assert response.status == 200
    async with services.db.session() as session:
        [payload] = (await session.scalars(select(InboundJournalEntry.payload))).all()
    assert payload["message"]["text"] == "hi"


async def test_twilio(serve: Any, http: Any, clock: FakeClock, twilio_fake: TwilioFake) -> None:
    gate = GatedInbox()
    settings = make_settings(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM="+14155238886",
        TWILIO_API_BASE_URL=twilio_fake.url,
        RELAYBOT_PUBLIC_URL="https://bot.example.com",
    )
    statuses = RecordingInbox()
    channel = TwilioWhatsAppChannel(settings, http, clock, gate.receive, statuses.on_status)
    client = await serve(channel.routes())
    params = inbound_params("SM1")
    headers = {"X-Twilio-Signature": sign("https://bot.example.com/webhooks/twilio", params)}
    response = await assert_answers_after_receive(
        client, gate, "/webhooks/twilio", data=params, headers=headers
    )
    assert "<Response/>" in await response.text()
