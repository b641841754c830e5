"""Telegram through the running app: signed updates in, python-telegram-bot out to the fake."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.pipeline.services import SERVICES, Services
from bot.pipeline.settle import settle as settle_all
from bot.storage.models import (
    Contact,
    InboundJournalEntry,
    InboundKey,
    Message,
    RunLog,
    WorkflowRun,
)
from channels.component import setup_channels
from tests.conftest import make_settings
from tests.fakes.telegram import TelegramFake, callback_update, message_update, signed_headers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
SECRET = "webhook-secret_1"
GREETING = "Hi Ada Lovelace! I'm the relaybot assistant."
QUESTION = "What can I help you with?"
KEYBOARD = [
    ("Where is my order?", "order"),
    ("Billing question", "billing"),
    ("Talk to a person", "human"),
]

Client = TestClient[Any, Any]


@pytest.fixture
async def fake() -> AsyncIterator[TelegramFake]:
    server = TelegramFake()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(
    database_url: str, clock: FakeClock, fake: TelegramFake, tmp_path: Path
) -> AsyncIterator[Client]:
    for name in ("support.yaml", "support-survey.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    settings = make_settings(
        database_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
        RELAYBOT_PUBLIC_URL="https://relay.example.com",
        RELAYBOT_WORKFLOWS_DIR=str(tmp_path),
    )
    app = create_app(
        settings, clock=clock, components=[setup_engine, setup_channels], background=False
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def services_of(client: Client) -> Services:
    server = client.server
    assert isinstance(server, TestServer)
    return server.app[SERVICES]


async def settle(client: Client) -> None:
    """Deliver events, outbound messages and due timers until nothing is left to do now."""
    await settle_all(services_of(client))


async def count(client: Client, model: Any, *where: Any) -> int:
    async with services_of(client).db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def rows(client: Client, model: Any) -> list[Any]:
    async with services_of(client).db.session() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def post(client: Client, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = signed_headers(secret) if secret is not None else {"Content-Type": "application/json"}
    response = await client.post("/webhooks/telegram", json=update, headers=headers)
    return response.status


def texts(fake: TelegramFake) -> list[str]:
    return [str(call["text"]) for call in fake.calls("sendMessage")]


async def test_signed_message_starts_the_support_flow(client: Client, fake: TelegramFake) -> None:
    assert await post(client, message_update(1, text="hi")) == 200
    await settle(client)
    assert texts(fake) == [GREETING, QUESTION]
    question = fake.calls("sendMessage")[-1]
    assert question["chat_id"] in (42, "42")
    buttons = [row[0] for row in question["reply_markup"]["inline_keyboard"]]
    assert [(b["text"], b["callback_data"]) for b in buttons] == KEYBOARD
    (run,) = await rows(client, WorkflowRun)
    assert run.status == "waiting"


async def test_typed_answer_continues_the_flow(client: Client, fake: TelegramFake) -> None:
    await post(client, message_update(1, text="hi"))
    await settle(client)
    await post(client, message_update(2, text="2"))
    await settle(client)
    assert texts(fake)[2].startswith("Invoices and receipts")
    assert texts(fake)[3] == "Is there anything else I can help with?"


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x", SECRET[:-1], ""])
async def test_forged_or_unsigned_update_is_refused_and_not_stored(
    client: Client, fake: TelegramFake, secret: str | None
) -> None:
    assert await post(client, message_update(1, text="hi"), secret=secret) == 401
    await settle(client)
    assert await count(client, Message) == 0
    assert await count(client, InboundKey) == 0
    assert fake.calls("sendMessage") == []


async def test_redelivered_update_is_stored_and_answered_once(
    client: Client, fake: TelegramFake
) -> None:
    update = message_update(7, text="hi")
    assert await post(client, update) == 200
    assert await post(client, update) == 200
    # on both databases the update goes through the inbound journal, once
    assert await count(client, InboundJournalEntry) == 1
    await settle(client)
    assert (
        await count(client, InboundJournalEntry, InboundJournalEntry.processed_at.is_not(None)) == 1
    )
    assert await count(client, Message, Message.direction == "in") == 1
    assert texts(fake) == [GREETING, QUESTION]


async def test_concurrent_copies_are_stored_and_answered_once(
    client: Client, fake: TelegramFake
) -> None:
    update = message_update(8, text="hi")
    statuses = await asyncio.gather(*(post(client, update) for _ in range(4)))
    assert statuses == [200, 200, 200, 200]
    await settle(client)
    assert await count(client, Message, Message.direction == "in") == 1
    assert len(await rows(client, WorkflowRun)) == 1
    assert texts(fake) == [GREETING, QUESTION]


async def test_429_is_retried_after_its_retry_after(
    client: Client, fake: TelegramFake, clock: FakeClock
) -> None:
    fake.fail_next(429, headers={"Retry-After": "30"}, path_contains="sendMessage")
    await post(client, message_update(1, text="hi"))
    await settle(client)
    assert len(fake.calls("sendMessage")) == 1  # the refused attempt; nothing else yet
    clock.advance(timedelta(seconds=29))
    await settle(client)
    assert len(fake.calls("sendMessage")) == 1
    clock.advance(timedelta(seconds=2))
    await settle(client)
    assert texts(fake) == [GREETING, GREETING, QUESTION]  # the retry, then the question, in order


async def test_button_press_answers_the_waiting_question(
    client: Client, fake: TelegramFake
) -> None:
    await post(client, message_update(1, text="hi"))
    await settle(client)
    assert await post(client, callback_update(2, "billing", keyboard=KEYBOARD)) == 200
    await settle(client)
    assert texts(fake)[2].startswith("Invoices and receipts")
    assert [c["callback_query_id"] for c in fake.calls("answerCallbackQuery")] == ["cbq-2"]
    pressed = (await rows(client, Message))[-3:]
    answer = next(m for m in pressed if m.direction == "in")
    assert (answer.kind, answer.text, answer.payload) == ("button", "Billing question", "billing")


async def test_blocked_customer_takes_delivery_failed(client: Client, fake: TelegramFake) -> None:
    fake.fail_next(403, times=2, path_contains="sendMessage")
    await post(client, message_update(1, text="hi"))
    await settle(client)
    (run,) = await rows(client, WorkflowRun)
    assert run.status == "completed"
    logs: list[RunLog] = await rows(client, RunLog)
    exits = [(log.step_id, log.data.get("exit")) for log in logs if log.kind == "step"]
    assert ("topic", "delivery_failed") in exits
    errors = [log.message for log in logs if log.kind == "error"]
    assert any("bot was blocked by the user" in m for m in errors)
    (contact,) = await rows(client, Contact)
    assert contact.unreachable is True
    statuses = [m.delivery_status for m in await rows(client, Message) if m.direction == "out"]
    assert statuses == ["failed", "failed"]


async def test_start_payload_is_stored_on_the_contact(client: Client, fake: TelegramFake) -> None:
    assert await post(client, message_update(1, text="/start spring-promo")) == 200
    await settle(client)
    (contact,) = await rows(client, Contact)
    assert contact.attributes["start_param"] == "spring-promo"
    assert contact.name == "Ada Lovelace"
    assert texts(fake) == [GREETING, QUESTION]


async def test_unused_update_types_are_acknowledged_and_ignored(
    client: Client, fake: TelegramFake
) -> None:
    update = {
        "update_id": 3,
        "edited_channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1, "type": "channel"}},
    }
    assert await post(client, update) == 200
    await settle(client)
    assert await count(client, Message) == 0
