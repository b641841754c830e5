"""The demo agent page: the conversations offered to a demo agent, accept, reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from bot.app.app import create_app
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import SERVICES, Services
from bot.storage.models import Conversation
from tests.conftest import make_settings

Client = TestClient[Any, Any]


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[Client]:
    settings = make_settings(
        sqlite_url,
        RELAYBOT_DEMO=True,
        RELAYBOT_SECRET_KEY="demo-test-key",
        RELAYBOT_WORKFLOWS_DIR="does-not-exist",
    )
    async with TestClient(TestServer(create_app(settings, background=False))) as test_client:
        yield test_client


async def conversation_offered(services: Services, agent_id: int | None) -> int:
    """A customer's conversation, offered to ``agent_id`` (None: to nobody)."""
    result = await services.inbox.receive(
        InboundMessage(
            channel="telegram",
            external_conversation_id=f"chat-{agent_id}",
            external_message_id=f"m-{agent_id}",
            sender=SenderProfile(external_id=f"chat-{agent_id}", name="Grace"),
            text="hi",
        )
    )
    cid = result.conversation_id
    assert cid is not None
    if agent_id is not None:
        async with services.uow() as tx:
            await tx.session.execute(
                update(Conversation)
                .where(Conversation.id == cid)
                .values(attributes={"offered_to": agent_id})
            )
    return cid


async def test_an_offered_conversation_is_accepted_and_answered(client: Client) -> None:
    services = client.server.app[SERVICES]  # type: ignore[union-attr]
    state = await (await client.get("/demo/agent/state")).json()
    maya = state["agents"][0]
    cid = await conversation_offered(services, maya["id"])
    await conversation_offered(services, None)

    state = await (await client.get("/demo/agent/state")).json()
    assert [(c["id"], c["agent"], c["assigned"]) for c in state["conversations"]] == [
        (cid, maya["name"], False)
    ]
    assert [(m["direction"], m["text"]) for m in state["conversations"][0]["messages"]] == [
        ("in", "hi")
    ]

    path = f"/demo/agent/conversations/{cid}"
    assert (await client.post(f"{path}/messages", json={"text": "early"})).status == 409
    assert (await client.post(f"{path}/accept", data="{}")).status == 415
    resp = await client.post(f"{path}/accept", json={})
    assert (resp.status, await resp.json()) == (200, {"agent": maya["name"]})
    assert (await client.post(f"{path}/messages", json={"text": "  "})).status == 400
    resp = await client.post(f"{path}/messages", json={"text": "Hello, I am Maya"})
    assert resp.status == 201

    state = await (await client.get("/demo/agent/state")).json()
    (listed,) = state["conversations"]
    assert listed["assigned"] is True
    assert [(m["direction"], m["sender_name"], m["text"]) for m in listed["messages"]] == [
        ("in", None, "hi"),
        ("out", maya["name"], "Hello, I am Maya"),
    ]


async def test_a_conversation_no_demo_agent_has_is_not_found(client: Client) -> None:
    services = client.server.app[SERVICES]  # type: ignore[union-attr]
    unoffered = await conversation_offered(services, None)
    for cid in (unoffered, 999999):
        resp = await client.post(f"/demo/agent/conversations/{cid}/accept", json={})
        assert resp.status == 404
