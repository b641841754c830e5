"""Poison and oversized input: NUL, lone surrogates, deep nesting, huge ids and texts.

Each case reaches the database through the real door (signed webhooks, the admin API,
the widget's frame handler) on SQLite and PostgreSQL. Every one is answered with a 2xx
(the text cleaned or cut) or a 4xx counted in ``/metrics``, never a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.pipeline.services import SERVICES, Services
from bot.pipeline.settle import settle
from bot.storage.models import InboundJournalEntry, Message, Team
from channels.component import setup_channels
from channels.widget.limits import Cooldown, RateLimiter
from channels.widget.protocol import EventFrame, TextFrame
from channels.widget.service import FrameHandler
from channels.widget.session import VisitorSession
from tests.conftest import make_settings
from tests.fakes import telegram as tg
from tests.fakes import twilio as tw

AUTH = {"Authorization": "Bearer test-admin-token"}
SECRET = "webhook-secret_1"
PUBLIC = "https://relay.example.com"
FFFD = "\ufffd"

Client = TestClient[Any, Any]


@pytest.fixture
async def client(database_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    """The app with Telegram and WhatsApp on (their APIs are never called here)."""
    settings = make_settings(
        database_url,
        TELEGRAM_BOT_TOKEN="123456:TEST-token",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
        TWILIO_ACCOUNT_SID=tw.ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=tw.AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_API_BASE_URL="http://127.0.0.1:9",
        RELAYBOT_PUBLIC_URL=PUBLIC,
    )
    app = create_app(settings, clock=clock, components=[setup_channels], background=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def services_of(client: Client) -> Services:
    server = client.server
    assert isinstance(server, TestServer)
    return server.app[SERVICES]


async def inbound(services: Services) -> list[Message]:
    async with services.db.session() as session:
        rows = await session.scalars(
            select(Message).where(Message.direction == "in").order_by(Message.id)
        )
        return list(rows)


async def telegram(client: Client, body: bytes, secret: str = SECRET) -> int:
    response = await client.post("/webhooks/telegram", data=body, headers=tg.signed_headers(secret))
    assert "Traceback" not in await response.text()
    return response.status


async def whatsapp(client: Client, params: dict[str, str]) -> int:
    path = "/webhooks/twilio"
    response = await client.post(
        path, data=params, headers=tw.signed_headers(PUBLIC + path, params)
    )
    return response.status


def refused(services: Services, channel: str, reason: str) -> float:
    value = services.metrics.registry.get_sample_value(
        "relaybot_inbound_refused_total", {"channel": channel, "reason": reason}
    )
    return value or 0.0


# --- Telegram ---------------------------------------------------------------------------


@pytest.mark.parametrize("poison", ["\x00", chr(0xD800), chr(0xDFFF)])
async def test_telegram_text_with_nul_or_lone_surrogate_is_stored_cleaned(
    client: Client, poison: str
) -> None:
    body = json.dumps(tg.message_update(1, text=f"a{poison}b")).encode()
    assert await telegram(client, body) == 200
    assert await telegram(client, body) == 200  # a redelivery is recognised, not refused
    services = services_of(client)
    await settle(services)
    (message,) = await inbound(services)
    assert message.text == f"a{FFFD}b"
    async with services.db.session() as session:
        (entry,) = await session.scalars(select(InboundJournalEntry))
    assert entry.error is None
    assert entry.payload["message"]["text"] == f"a{FFFD}b"


async def test_telegram_journaled_nul_is_cleaned_when_normalized(
    client: Client, clock: FakeClock
) -> None:
    """An update already in the journal with a NUL in it (or a sender's name with one)."""
    services = services_of(client)
    update = tg.message_update(
        3, text="x\x00y", from_user=tg.user(42, first_name="A\x00da", last_name="\ud800")
    )
    channel = services.channels["telegram"]
    normalize = getattr(channel, "normalize")  # noqa: B009 (the Channel protocol has no normalize)
    message = normalize(update, clock.now())
    assert message.text == f"x{FFFD}y"
    assert message.sender.name == f"A{FFFD}da {FFFD}"


async def test_telegram_long_text_is_cut_and_marked(client: Client) -> None:
    body = json.dumps(tg.message_update(1, text="é" * 200_000), ensure_ascii=False).encode()
    assert await telegram(client, body) == 200
    assert await telegram(client, json.dumps(tg.message_update(2, text="é" * 4096)).encode()) == 200
    services = services_of(client)
    await settle(services)
    long, at_limit = await inbound(services)
    assert long.text == "é" * 4096
    assert long.extra["truncated"] is True
    assert long.extra["original_length"] == 200_000
    assert at_limit.text == "é" * 4096
    assert "truncated" not in at_limit.extra


@pytest.mark.parametrize("depth", [70, 5000])
async def test_telegram_deeply_nested_update_is_refused_with_400(
    client: Client, depth: int
) -> None:
    update = tg.message_update(1, text="hi")
    update["message"]["reply_markup"] = (
        json.loads("[" * depth + "]" * depth) if depth < 900 else None
    )
    body = json.dumps(update).encode()
    if depth >= 900:
        body = body.replace(
            b'"reply_markup": null', b'"reply_markup": ' + b"[" * depth + b"]" * depth
        )
    assert await telegram(client, body) == 400
    services = services_of(client)
    assert refused(services, "telegram", "too_deep") == 1
    async with services.db.session() as session:
        assert list(await session.scalars(select(InboundJournalEntry))) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("date", 10**30), ("date", -1), ("message_id", 2**64), ("update_id", -(2**70))],
)
async def test_telegram_numbers_out_of_range_are_refused_with_400(
    client: Client, field: str, value: int
) -> None:
    """Read later, such an update would stop the journal (python-telegram-bot overflows)."""
    update = tg.message_update(
        1,
        caption="a photo",
        photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
    )
    (update if field == "update_id" else update["message"])[field] = value
    assert await telegram(client, json.dumps(update).encode()) == 400
    assert refused(services_of(client), "telegram", "unreadable") == 1


async def test_forged_flood_is_counted_and_logged_a_few_lines_a_minute(
    client: Client, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(tg.message_update(1, text="hi")).encode()
    caplog.set_level(logging.WARNING)
    for _ in range(300):
        assert await telegram(client, body, secret="forged") == 401
    services = services_of(client)
    assert refused(services, "telegram", "bad_secret") == 300
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(lines) <= 3
    caplog.clear()
    clock.advance(timedelta(minutes=1))
    assert await telegram(client, body, secret="forged") == 401
    (line,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "297 similar lines left out" in line.getMessage()
    metrics = await (await client.get("/metrics")).text()
    assert 'relaybot_inbound_refused_total{channel="telegram",reason="bad_secret"} 301.0' in metrics


# --- WhatsApp ---------------------------------------------------------------------------


async def test_whatsapp_body_and_name_with_nul_are_stored_cleaned(client: Client) -> None:
    params = tw.inbound_params("SM" + "1" * 32, body="a\x00b", profile_name="Ad\x00a")
    assert await whatsapp(client, params) == 200
    assert await whatsapp(client, params) == 200  # a redelivery is recognised, not refused
    services = services_of(client)
    await settle(services)
    (message,) = await inbound(services)
    assert message.text == f"a{FFFD}b"


async def test_whatsapp_long_body_is_cut_and_marked(client: Client) -> None:
    assert await whatsapp(client, tw.inbound_params("SM" + "2" * 32, body="w" * 200_000)) == 200
    services = services_of(client)
    await settle(services)
    (message,) = await inbound(services)
    assert message.text == "w" * 4096
    assert message.extra["truncated"] is True
    assert message.extra["original_length"] == 200_000


async def test_whatsapp_forged_request_is_counted(client: Client) -> None:
    params = tw.inbound_params("SM" + "3" * 32)
    response = await client.post(
        "/webhooks/twilio", data=params, headers={"X-Twilio-Signature": "x"}
    )
    assert response.status == 401
    assert refused(services_of(client), "whatsapp", "bad_signature") == 1


# --- the admin API ----------------------------------------------------------------------


@pytest.mark.parametrize("poison", ["\x00", "\ud800"])
async def test_admin_api_name_with_nul_or_lone_surrogate_is_stored_cleaned(
    client: Client, poison: str
) -> None:
    body = json.dumps({"name": f"Sup{poison}port"}).encode()
    response = await client.post("/api/teams", data=body, headers=AUTH)
    assert response.status == 201
    assert (await response.json())["name"] == f"Sup{FFFD}port"
    async with services_of(client).db.session() as session:
        assert list(await session.scalars(select(Team.name))) == [f"Sup{FFFD}port"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/api/conversations/99999999999999999999999", None, "id"),
        ("GET", "/api/conversations/9223372036854775808", None, "id"),
        ("GET", "/api/leads/-1", None, "id"),
        ("GET", "/api/conversations?limit=-1", None, "limit"),
        ("GET", "/api/conversations?channel=%00", None, "channel"),
        ("DELETE", "/api/conversations/1/tags/a%00b", None, "tag"),
        ("POST", "/api/conversations/1/assign", {"agent_id": 2**64}, "agent_id"),
        ("POST", "/api/teams/1/members", {"agent_id": 2**63}, "agent_id"),
        ("POST", "/api/leads", {"name": "Acme", "contact_id": 10**30}, "contact_id"),
    ],
)
async def test_admin_api_bad_ids_and_params_are_400(
    client: Client, method: str, path: str, body: dict[str, Any] | None, field: str
) -> None:
    response = await client.request(method, path, json=body, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"]["field"] == field
    assert refused(services_of(client), "api", "bad_request") == 1


@pytest.mark.parametrize("depth", [100, 5000])
async def test_admin_api_deeply_nested_json_is_400(client: Client, depth: int) -> None:
    body = b'{"name": "x", "roles": ' + b"[" * depth + b"]" * depth + b"}"
    response = await client.post("/api/agents", data=body, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"]["field"] == "body"


# --- the widget -------------------------------------------------------------------------


@pytest.fixture
def frames(services: Services, clock: FakeClock) -> FrameHandler:
    async def visitor_event(visitor_id: str, event_type: str, data: dict[str, Any]) -> None:
        await services.inbox.visitor_event("widget", visitor_id, event_type, data)

    return FrameHandler(
        clock,
        services.inbox.receive,
        visitor_event,
        RateLimiter(clock, 10, 1.0),
        Cooldown(clock, timedelta(minutes=5)),
        4000,
    )


async def test_widget_text_and_name_with_nul_are_stored_cleaned(
    services: Services, frames: FrameHandler
) -> None:
    session = VisitorSession("v-1", name="Ad\x00a\ud800")
    frame = TextFrame(type="message", client_id="c1", text="a\x00b\udfff", page="https://x/\x00")
    assert await frames.handle(session, frame) == [{"type": "ack", "client_id": "c1"}]
    (message,) = await inbound(services)
    assert message.text == f"a{FFFD}b{FFFD}"
    assert message.extra["page_url"] == f"https://x/{FFFD}"


async def test_widget_event_details_with_nul_are_recorded_cleaned(
    services: Services, frames: FrameHandler
) -> None:
    frame = EventFrame(type="event", event="idle", url="https://x/", details={"k\x00": "v\ud800"})
    (answer,) = await frames.handle(VisitorSession("v-2"), frame)
    assert answer == {"type": "event_ack", "event": "idle", "accepted": True}
