"""The admin API names contacts as Slack does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain.contact_names import friendly_name
from bot.pipeline.services import SERVICES
from tests.conftest import make_settings

AUTH = {"Authorization": "Bearer test-admin-token"}
Client = TestClient[object, object]


@pytest.fixture
async def client(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    app = create_app(make_settings(sqlite_url), clock=clock, components=[], background=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_contact_carries_its_display_name(client: Client) -> None:
    inbox = client.app[SERVICES].inbox
    for visitor, name in (("v_anon1", None), ("v_named", "Jane Doe")):
        await inbox.receive(
            InboundMessage(
                channel="widget",
                external_conversation_id=visitor,
                external_message_id=f"{visitor}:1",
                sender=SenderProfile(external_id=visitor, name=name),
                kind="text",
                text="hi",
            )
        )
    resp = await client.get("/api/contacts", headers=AUTH)
    assert resp.status == 200
    shown = {c["id"]: c["display_name"] for c in (await resp.json())["items"]}
    anonymous = min(shown)
    assert shown == {anonymous: friendly_name(anonymous), anonymous + 1: "Jane Doe"}
    resp = await client.get(f"/api/contacts/{anonymous}", headers=AUTH)
    assert (await resp.json())["display_name"] == friendly_name(anonymous)
