"""WhatsApp through Twilio in the running app: signed webhooks in, twilio's Client out to the fake."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
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
from bot.storage.models import Contact, InboundKey, Message, RunLog, WorkflowRun
from channels.component import setup_channels
from tests.conftest import make_settings
from tests.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    TwilioFake,
    inbound_params,
    signed_headers,
    status_params,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
PUBLIC = "https://relay.example.com"
SENDER = "whatsapp:+14155238886"
CUSTOMER = "whatsapp:+14155550100"
GREETING = "Hi Ada Lovelace! I'm the relaybot assistant."
QUESTION = (
    "What can I help you with?\n\n1. Where is my order?\n2. Billing question\n3. Talk to a person"
)

Client = TestClient[Any, Any]


@pytest.fixture
async def fake() -> AsyncIterator[TwilioFake]:
    server = TwilioFake()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(
    sqlite_url: str, clock: FakeClock, fake: TwilioFake, tmp_path: Path
) -> AsyncIterator[Client]:
    for name in ("support.yaml", "support-survey.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    settings = make_settings(
        sqlite_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM=SENDER,
        TWILIO_API_BASE_URL=fake.url,
        RELAYBOT_PUBLIC_URL=PUBLIC,
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


async def post(
    client: Client,
    params: dict[str, str],
    *,
    path: str = "/webhooks/twilio",
    headers: dict[str, str] | None = None,
) -> int:
    signed = signed_headers(PUBLIC + path, params) if headers is None else headers
    response = await client.post(path, data=params, headers=signed)
    return response.status


async def say(client: Client, sid: int, body: str, **extra: str) -> int:
    status = await post(client, inbound_params(f"SM{sid:032x}", body=body, **extra))
    await settle(client)
    return status


def bodies(fake: TwilioFake) -> list[str]:
    return [form.get("Body", "") for form in fake.messages()]


async def outbound(client: Client) -> list[Message]:
    return [m for m in await rows(client, Message) if m.direction == "out"]


async def test_signed_message_starts_the_support_flow(client: Client, fake: TwilioFake) -> None:
    assert await say(client, 1, "hi") == 200
    assert bodies(fake) == [GREETING, QUESTION]
    first = fake.messages()[0]
    assert (first["To"], first["From"]) == (CUSTOMER, SENDER)
    assert first["StatusCallback"] == PUBLIC + "/webhooks/twilio/status"
    stored = await outbound(client)
    assert [m.delivery_status for m in stored] == ["queued", "queued"]
    assert all(m.external_id and m.external_id.startswith("SM") for m in stored)


@pytest.mark.parametrize("answer", ["2", "Billing question", "billing question"])
async def test_numbered_choices_take_the_number_or_the_text(
    client: Client, fake: TwilioFake, answer: str
) -> None:
    await say(client, 1, "hi")
    await say(client, 2, answer)
    assert bodies(fake)[2].startswith("Invoices and receipts")


async def test_quick_reply_button_answers_the_waiting_question(
    client: Client, fake: TwilioFake
) -> None:
    await say(client, 1, "hi")
    await say(client, 2, "Billing question", ButtonPayload="billing", ButtonText="Billing question")
    assert bodies(fake)[2].startswith("Invoices and receipts")
    answer = [m for m in await rows(client, Message) if m.direction == "in"][-1]
    assert (answer.kind, answer.payload) == ("button", "billing")


def _unsigned(params: dict[str, str]) -> dict[str, str]:
    return {}


def _wrong_token(params: dict[str, str]) -> dict[str, str]:
    return signed_headers(PUBLIC + "/webhooks/twilio", params, auth_token="not-the-token")


def _other_url(params: dict[str, str]) -> dict[str, str]:
    return signed_headers("https://evil.example.com/webhooks/twilio", params)


def _tampered(params: dict[str, str]) -> dict[str, str]:
    headers = signed_headers(PUBLIC + "/webhooks/twilio", params)
    params["Body"] = "transfer everything"
    return headers


@pytest.mark.parametrize("forge", [_unsigned, _wrong_token, _other_url, _tampered])
async def test_forged_unsigned_or_tampered_is_refused_and_not_stored(
    client: Client, fake: TwilioFake, forge: Any
) -> None:
    params = inbound_params("SM" + "b" * 32, body="hi")
    headers = forge(params)
    assert await post(client, params, headers=headers) == 401
    await settle(client)
    assert await count(client, Message) == 0
    assert await count(client, InboundKey) == 0
    assert fake.messages() == []


async def test_redelivered_message_is_stored_and_answered_once(
    client: Client, fake: TwilioFake
) -> None:
    params = inbound_params("SM" + "c" * 32, body="hi")
    assert await post(client, params) == 200
    assert await post(client, params) == 200
    statuses = await asyncio.gather(*(post(client, params) for _ in range(4)))
    assert statuses == [200] * 4
    await settle(client)
    assert await count(client, Message, Message.direction == "in") == 1
    assert bodies(fake) == [GREETING, QUESTION]


async def test_concurrent_first_copies_are_stored_and_answered_once(
    client: Client, fake: TwilioFake
) -> None:
    params = inbound_params("SM" + "d" * 32, body="hi")
    statuses = await asyncio.gather(*(post(client, params) for _ in range(4)))
    assert statuses == [200] * 4
    await settle(client)
    assert await count(client, Message, Message.direction == "in") == 1
    assert len(await rows(client, WorkflowRun)) == 1
    assert bodies(fake) == [GREETING, QUESTION]


async def test_429_is_retried_after_its_retry_after(
    client: Client, fake: TwilioFake, clock: FakeClock
) -> None:
    fake.fail_next(429, headers={"Retry-After": "20"}, path_contains="Messages.json")
    await say(client, 1, "hi")
    assert len(fake.messages()) == 1
    clock.advance(timedelta(seconds=19))
    await settle(client)
    assert len(fake.messages()) == 1
    clock.advance(timedelta(seconds=2))
    await settle(client)
    assert bodies(fake) == [GREETING, GREETING, QUESTION]


async def test_status_callbacks_never_move_backwards(client: Client, fake: TwilioFake) -> None:
    await say(client, 1, "hi")
    greeting = (await outbound(client))[0]
    assert greeting.external_id is not None
    for status in ("delivered", "sent", "queued", "read", "delivered", "failed"):
        path = "/webhooks/twilio/status"
        assert await post(client, status_params(greeting.external_id, status), path=path) == 204
    assert (await outbound(client))[0].delivery_status == "read"


async def test_unsigned_status_callback_is_refused(client: Client) -> None:
    await say(client, 1, "hi")
    greeting = (await outbound(client))[0]
    assert greeting.external_id is not None
    params = status_params(greeting.external_id, "failed", "30008")
    response = await client.post("/webhooks/twilio/status", data=params)
    assert response.status == 401
    assert (await outbound(client))[0].delivery_status == "queued"


async def test_failed_delivery_takes_delivery_failed(client: Client, fake: TwilioFake) -> None:
    await say(client, 1, "hi")
    question = (await outbound(client))[1]
    assert question.external_id is not None
    path = "/webhooks/twilio/status"
    assert await post(client, status_params(question.external_id, "sent"), path=path) == 204
    params = status_params(question.external_id, "undelivered", "63024")
    assert await post(client, params, path=path) == 204
    await settle(client)
    (run,) = await rows(client, WorkflowRun)
    assert run.status == "completed"
    exits = [
        (log.step_id, log.data.get("exit"))
        for log in await rows(client, RunLog)
        if log.kind == "step"
    ]
    assert ("topic", "delivery_failed") in exits
    stored = (await outbound(client))[1]
    assert (stored.delivery_status, stored.error_code) == ("undelivered", "63024")
    (contact,) = await rows(client, Contact)
    assert contact.unreachable is True  # 63024: not a valid WhatsApp recipient
    await say(client, 2, "2")
    # the run is over: the late answer does not resume it; as a message nothing took, it
    # starts the fallback (support again), so the customer who wrote is answered
    runs = await rows(client, WorkflowRun)
    assert [(r.id, r.status) for r in runs[:1]] == [(run.id, "completed")] and len(runs) == 2
    assert bodies(fake)[2:] == [GREETING, QUESTION]


async def test_outside_the_24_hour_window_without_template_fails_with_the_reason(
    client: Client, fake: TwilioFake, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 1, 10, 10, 0, tzinfo=UTC))  # a Saturday: the team is offline
    await say(client, 1, "hi")
    await say(client, 2, "3")  # talk to a person
    assert bodies(fake)[-1].startswith("Our team is offline right now.")
    clock.set(datetime(2026, 1, 12, 8, 5, tzinfo=UTC))  # Monday 09:05 in Berlin, 46h later
    await settle(client)
    assert len(fake.messages()) == 3  # "Everyone is busy" was not sent
    logs = await rows(client, RunLog)
    errors = [log.message for log in logs if log.kind == "error"]
    assert any("customer-service window and no template named" in m for m in errors), errors
    busy = (await outbound(client))[-1]
    assert (busy.text or "").startswith("Everyone is busy")
    assert busy.delivery_status == "failed"
