"""The running app: health, metrics, and the admin API's auth and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.core.config import Settings
from tests.conftest import make_settings

AUTH = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
async def client(sqlite_url: str, clock: FakeClock) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(make_settings(sqlite_url), clock=clock, components=[], background=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_healthz_and_metrics(client: TestClient[object, object]) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["database"] == "up"
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert "relaybot_inbound_messages" in await resp.text()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic test-admin-token"}]
)
async def test_bad_token_is_401(
    client: TestClient[object, object], headers: dict[str, str]
) -> None:
    resp = await client.get("/api/conversations", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"]["field"] == "Authorization"


async def test_admin_api_off_without_token(sqlite_url: str) -> None:
    settings = Settings(_env_file=None, DATABASE_URL=sqlite_url)  # type: ignore[call-arg]
    app = create_app(settings, components=[], background=False)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/api/agents", headers=AUTH)
        assert resp.status == 401
        assert "RELAYBOT_ADMIN_TOKEN" in (await resp.json())["error"]["reason"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/leads", {"stage": "new"}, "name"),
        ("/api/leads", {"name": "Acme", "expected_amount": "-5"}, "expected_amount"),
        ("/api/leads", {"name": "Acme", "stage": "bogus"}, "stage"),
        ("/api/leads", {"name": "Acme", "currency": "dollars"}, "currency"),
        ("/api/agents", {"name": "A", "email": "not-an-email"}, "email"),
        ("/api/agents", {"name": "A", "capacity": -1}, "capacity"),
        ("/api/teams", {}, "name"),
    ],
)
async def test_bad_input_is_400_naming_the_field(
    client: TestClient[object, object], path: str, body: dict[str, object], field: str
) -> None:
    resp = await client.post(path, json=body, headers=AUTH)
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["field"] == field and error["reason"]


async def test_malformed_json_and_unknown_ids(client: TestClient[object, object]) -> None:
    resp = await client.post("/api/leads", data=b"{nope", headers=AUTH)
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "body"
    resp = await client.get("/api/conversations/abc", headers=AUTH)
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "id"
    resp = await client.get("/api/conversations/999", headers=AUTH)
    assert resp.status == 404
    resp = await client.get("/api/conversations?status=weird", headers=AUTH)
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "status"


async def test_leads_agents_teams_and_conversations(client: TestClient[object, object]) -> None:
    from bot.core.messages import InboundMessage, SenderProfile
    from bot.pipeline.services import SERVICES

    services = client.server.app[SERVICES]  # type: ignore[union-attr]
    result = await services.inbox.receive(
        InboundMessage(
            channel="telegram",
            external_conversation_id="42",
            external_message_id="u1",
            sender=SenderProfile(external_id="42", name="Grace"),
            text="hi",
        )
    )
    cid = result.conversation_id
    agent = await (
        await client.post(
            "/api/agents", json={"name": "Sam", "email": "sam@example.com"}, headers=AUTH
        )
    ).json()
    team = await (await client.post("/api/teams", json={"name": "support"}, headers=AUTH)).json()
    resp = await client.post(
        f"/api/teams/{team['id']}/members", json={"agent_id": agent["id"]}, headers=AUTH
    )
    assert (await resp.json())["changed"] is True
    resp = await client.post(
        f"/api/conversations/{cid}/assign", json={"agent_id": agent["id"]}, headers=AUTH
    )
    assert (await resp.json())["changed"] is True
    resp = await client.post(f"/api/conversations/{cid}/tags", json={"tag": "VIP"}, headers=AUTH)
    assert resp.status == 200
    listed = await (await client.get("/api/conversations?tag=VIP", headers=AUTH)).json()
    assert [c["id"] for c in listed["items"]] == [cid]
    resp = await client.post(
        f"/api/conversations/{cid}/messages", json={"text": "On it!"}, headers=AUTH
    )
    assert resp.status == 201
    detail = await (await client.get(f"/api/conversations/{cid}", headers=AUTH)).json()
    assert [(m["direction"], m["text"]) for m in detail["messages"]] == [
        ("in", "hi"),
        ("out", "On it!"),
    ]
    assert detail["assignee_id"] == agent["id"] and detail["tags"] == ["VIP"]
    lead = await (
        await client.post(
            "/api/leads", json={"name": "Acme", "expected_amount": "6000"}, headers=AUTH
        )
    ).json()
    assert lead["stage"] == "new" and lead["expected_amount"] == "6000.00"
    resp = await client.post(
        f"/api/leads/{lead['id']}/stage", json={"stage": "qualified"}, headers=AUTH
    )
    assert (await resp.json())["changed"] is True
    resp = await client.post(f"/api/conversations/{cid}/close", headers=AUTH)
    assert (await resp.json())["changed"] is True
