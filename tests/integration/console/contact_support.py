"""The whole app (engine, Telegram against its fake, console) with two people who wrote in:
Zelda, who talked through the support flow, shared her phone and has a lead, and Bruno,
who said hello. For the contacts, export and erase tests."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.app import create_app
from bot.app.console.routes import setup_console
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.pipeline.services import SERVICES, Services
from bot.pipeline.settle import settle
from bot.storage.models import Base, Contact, ContactIdentity
from channels.component import setup_channels
from tests.conftest import make_settings
from tests.fakes.telegram import TelegramFake, message_update, signed_headers, user
from tests.integration.console.http_support import BEARER, EXAMPLES, Client
from tests.integration.console.support import admin_and_agent

SECRET = "webhook-secret_1"
ZELDA_ID = 735550101
ZELDA_NAME = "Zelda Quixotic"
ZELDA_PHONE = "+4915199887766"
ZELDA_TEXT = "Please send the parcel to Quixotic Lane 17"
ZELDA_LEAD = "Quixotic family order"
BRUNO_ID = 735550202
BRUNO_TEXT = "hello from bruno"
ZELDA_VALUES = (
    "Zelda",
    "Quixotic",
    str(ZELDA_ID),
    ZELDA_PHONE,
    ZELDA_PHONE.lstrip("+"),
    "zquix",
    ZELDA_TEXT,
    "Quixotic Lane",
)
"""What may not be found anywhere in the database once Zelda is erased."""


@dataclass
class People:
    zelda: int
    bruno: int


async def app_client(
    database_url: str, clock: FakeClock, fake: TelegramFake, workflows: Path
) -> AsyncIterator[Client]:
    for name in ("support.yaml", "support-survey.yaml"):
        shutil.copy(EXAMPLES / name, workflows / name)
    settings = make_settings(
        database_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
        RELAYBOT_PUBLIC_URL="https://relay.example.com",
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
        RELAYBOT_SECRET_KEY="contacts-test-key",
    )
    app = create_app(
        settings,
        clock=clock,
        components=[setup_engine, setup_channels, setup_console],
        background=False,
    )
    async with TestClient(TestServer(app)) as client:
        await admin_and_agent(app[SERVICES])
        yield client


def services_of(client: Client) -> Services:
    app = client.app
    assert app is not None
    services: Services = app[SERVICES]
    return services


async def telegram(client: Client, update: dict[str, Any]) -> None:
    answer = await client.post("/webhooks/telegram", json=update, headers=signed_headers(SECRET))
    assert answer.status == 200
    await settle(services_of(client))


def zelda_says(update_id: int, **content: Any) -> dict[str, Any]:
    sender = user(ZELDA_ID, "Zelda", last_name="Quixotic", username="zquix", language_code="de")
    return message_update(update_id, ZELDA_ID, from_user=sender, **content)


async def contact_of(client: Client, telegram_id: int) -> int:
    async with services_of(client).db.session() as session:
        found = await session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.channel == "telegram",
                ContactIdentity.external_id == str(telegram_id),
            )
        )
    assert found is not None
    return int(found)


async def two_people(client: Client) -> People:
    """Zelda's conversation (the support flow's menu, billing, her phone, a free text) and
    lead; Bruno's hello."""
    await telegram(client, zelda_says(1, text="hi"))
    await telegram(client, zelda_says(2, text="2"))
    contact = {"phone_number": ZELDA_PHONE, "first_name": "Zelda", "user_id": ZELDA_ID}
    await telegram(client, zelda_says(3, contact=contact))
    await telegram(client, zelda_says(4, text=ZELDA_TEXT))
    bruno = user(BRUNO_ID, "Bruno", last_name="Other", username="bruno")
    await telegram(client, message_update(5, BRUNO_ID, from_user=bruno, text=BRUNO_TEXT))
    people = People(await contact_of(client, ZELDA_ID), await contact_of(client, BRUNO_ID))
    answer = await client.post(
        "/api/leads",
        json={"name": ZELDA_LEAD, "contact_id": people.zelda, "expected_amount": "1200"},
        headers=BEARER,
    )
    assert answer.status == 201, await answer.text()
    await settle(services_of(client))
    return people


async def dump(client: Client) -> str:
    """Every row of every table, as text."""
    parts: list[str] = []
    async with services_of(client).db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                parts.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(parts)


async def contact_name(client: Client, contact_id: int) -> str | None:
    async with services_of(client).db.session() as session:
        row = await session.get(Contact, contact_id)
        assert row is not None
        return row.name
