"""The admin API's agents, teams, contacts and list filters, end to end on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import SERVICES
from tests.conftest import make_settings

AUTH = {"Authorization": "Bearer test-admin-token"}
Client = TestClient[Any, Any]


@pytest.fixture
async def client(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    app = create_app(make_settings(sqlite_url), clock=clock, components=[], background=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def call(client: Client, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    resp = await client.request(method, path, json=body, headers=AUTH)
    return resp.status, await resp.json()


async def customer(client: Client, chat: str) -> int:
    result = await client.server.app[SERVICES].inbox.receive(  # type: ignore[union-attr]
        InboundMessage(
            channel="telegram",
            external_conversation_id=chat,
            external_message_id=f"{chat}:1",
            sender=SenderProfile(external_id=chat, name=f"Customer {chat}"),
            text="hi",
        )
    )
    assert result.conversation_id is not None
    return result.conversation_id


async def test_agents_are_created_changed_and_unique(client: Client) -> None:
    status, sam = await call(
        client, "POST", "/api/agents", {"name": "Sam", "email": "sam@example.com"}
    )
    assert status == 201
    assert (sam["roles"], sam["available"], sam["capacity"]) == ([], True, 10)
    status, clash = await call(
        client, "POST", "/api/agents", {"name": "Other", "email": "sam@example.com"}
    )
    assert (status, clash["error"]["field"]) == (400, "email")

    status, changed = await call(
        client, "PATCH", f"/api/agents/{sam['id']}", {"available": False, "roles": ["lead"]}
    )
    assert status == 200
    assert (changed["available"], changed["capacity"], changed["roles"]) == (False, 10, ["lead"])
    status, _ = await call(client, "PATCH", "/api/agents/999999", {"capacity": 3})
    assert status == 404

    _, listed = await call(client, "GET", "/api/agents")
    assert [(a["name"], a["available"], a["roles"]) for a in listed["items"]] == [
        ("Sam", False, ["lead"])
    ]


async def test_teams_list_their_members(client: Client) -> None:
    agents = [
        (await call(client, "POST", "/api/agents", {"name": name}))[1]["id"]
        for name in ("Ann", "Bob")
    ]
    _, support = await call(
        client, "POST", "/api/teams", {"name": "support", "slack_channel": "C1"}
    )
    _, sales = await call(client, "POST", "/api/teams", {"name": "sales"})
    status, clash = await call(client, "POST", "/api/teams", {"name": "support"})
    assert (status, clash["error"]["field"]) == (400, "name")

    for agent_id in reversed(agents):
        assert await call(
            client, "POST", f"/api/teams/{support['id']}/members", {"agent_id": agent_id}
        ) == (200, {"changed": True})
    assert await call(
        client, "POST", f"/api/teams/{support['id']}/members", {"agent_id": agents[0]}
    ) == (200, {"changed": False})
    status, _ = await call(client, "POST", "/api/teams/999999/members", {"agent_id": agents[0]})
    assert status == 404
    status, wrong = await call(
        client, "POST", f"/api/teams/{sales['id']}/members", {"agent_id": 999999}
    )
    assert (status, wrong["error"]["field"]) == (400, "agent_id")

    _, teams = await call(client, "GET", "/api/teams")
    assert teams["items"] == [
        {"id": support["id"], "name": "support", "slack_channel": "C1", "members": agents},
        {"id": sales["id"], "name": "sales", "slack_channel": None, "members": []},
    ]


async def test_contacts_and_conversations_are_filtered(client: Client) -> None:
    first, second = await customer(client, "1"), await customer(client, "2")
    _, sam = await call(client, "POST", "/api/agents", {"name": "Sam"})
    await call(client, "POST", f"/api/conversations/{first}/assign", {"agent_id": sam["id"]})
    await call(client, "POST", f"/api/conversations/{second}/close")

    async def ids(query: str) -> list[int]:
        status, body = await call(client, "GET", f"/api/conversations?{query}")
        assert status == 200
        return [c["id"] for c in body["items"]]

    assert sorted(await ids("")) == [first, second]
    assert await ids("status=open") == [first]
    assert await ids("status=closed") == [second]
    assert await ids(f"assignee_id={sam['id']}") == [first]
    assert await ids("unassigned=true") == [second]
    assert await ids("channel=widget") == []
    assert len(await ids("limit=1")) == 1
    status, _ = await call(client, "GET", "/api/conversations?status=lost")
    assert status == 400
    status, _ = await call(client, "GET", "/api/conversations/999999")
    assert status == 404
    status, _ = await call(client, "POST", "/api/conversations/999999/messages", {"text": "x"})
    assert status == 404

    _, contacts = await call(client, "GET", "/api/contacts")
    assert [c["name"] for c in contacts["items"]] == ["Customer 2", "Customer 1"]
    newest = contacts["items"][0]
    _, one = await call(client, "GET", f"/api/contacts/{newest['id']}")
    assert one == newest
    _, by_email = await call(client, "GET", "/api/contacts?email=nobody@example.com")
    assert by_email["items"] == []
    status, _ = await call(client, "GET", "/api/contacts/999999")
    assert status == 404


async def test_leads_are_listed_newest_first_and_by_stage(client: Client) -> None:
    made = [(await call(client, "POST", "/api/leads", {"name": n}))[1] for n in ("A", "B")]
    await call(client, "POST", f"/api/leads/{made[0]['id']}/stage", {"stage": "qualified"})
    _, listed = await call(client, "GET", "/api/leads")
    assert [(lead["name"], lead["stage"]) for lead in listed["items"]] == [
        ("B", "new"),
        ("A", "qualified"),
    ]
    _, qualified = await call(client, "GET", "/api/leads?stage=qualified")
    assert [lead["name"] for lead in qualified["items"]] == ["A"]
    status, one = await call(client, "GET", f"/api/leads/{made[1]['id']}")
    assert (status, one) == (200, made[1])
    status, _ = await call(client, "GET", "/api/leads/999999")
    assert status == 404
