"""The webhooks answer the platform only after the payload is committed to the journal."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import insert, select

from bot.core.clock import FakeClock
from bot.pipeline.services import Services
from bot.storage.models import InboundJournalEntry
from channels.telegram import TelegramChannel
from channels.twilio_whatsapp import TwilioWhatsAppChannel
from tests.fakes.telegram import TelegramFake, message_update, signed_headers
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, TwilioFake, inbound_params, sign
from tests.integration.channels.conftest import RecordingInbox, make_settings


async def answer_after_a_competing_commit(
    services: Services, client: Any, channel: str, key: str, path: str, **post: Any
) -> tuple[Any, dict[str, Any]]:
    """POST while a competing transaction holds the journal ``key``: no answer until it
    is rolled back. Returns the response and the payload the journal then holds."""
    async with services.db.transaction_gate(), services.db.sessions() as session:
        transaction = await session.begin()
        await session.execute(
            insert(InboundJournalEntry).values(
                channel=channel, external_id=key, payload={}, received_at=services.clock.now()
            )
        )
        request = asyncio.ensure_future(client.post(path, **post))
        for _ in range(20):  # give a premature answer every chance to arrive
            await asyncio.sleep(0.01)
        assert not request.done()
        await transaction.rollback()
    response = await asyncio.wait_for(request, 10)
    assert response.status == 200
    async with services.db.session() as session:
        [payload] = (await session.scalars(select(InboundJournalEntry.payload))).all()
    return response, payload


async def test_telegram_answers_after_the_journal_commit(
    serve: Any, http: Any, clock: FakeClock, telegram_fake: TelegramFake, services: Services
) -> None:
    settings = make_settings(
        TELEGRAM_BOT_TOKEN=telegram_fake.token,
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        TELEGRAM_API_BASE_URL=telegram_fake.base_url,
    )
    channel = TelegramChannel(settings, http, clock, services.journal.append)
    client = await serve(channel.routes())
    _, payload = await answer_after_a_competing_commit(
        services,
        client,
        "telegram",
        "update:1",
        "/webhooks/telegram",
        json=message_update(1, text="hi"),
        headers=signed_headers("s3cret"),
    )
    assert payload["message"]["text"] == "hi"


async def test_twilio_answers_after_the_journal_commit(
    serve: Any, http: Any, clock: FakeClock, twilio_fake: TwilioFake, services: Services
) -> None:
    settings = make_settings(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM="+14155238886",
        TWILIO_API_BASE_URL=twilio_fake.url,
        RELAYBOT_PUBLIC_URL="https://bot.example.com",
    )
    statuses = RecordingInbox(clock)
    channel = TwilioWhatsAppChannel(
        settings, http, clock, services.journal.append, statuses.on_status
    )
    client = await serve(channel.routes())
    params = inbound_params("SM1")
    headers = {"X-Twilio-Signature": sign("https://bot.example.com/webhooks/twilio", params)}
    response, payload = await answer_after_a_competing_commit(
        services,
        client,
        "whatsapp",
        "message:SM1",
        "/webhooks/twilio",
        data=params,
        headers=headers,
    )
    assert "<Response/>" in await response.text()
    message = channel.normalize(payload, clock.now())
    assert message is not None
    assert message.external_message_id == "SM1"
