"""The inbox's WebSocket: a signed-in agent hears a customer's new message and a status
change as they are stored, catches up from the page's cursor, and never hears of them
twice; a socket from another origin and a signed-out one are refused."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientWebSocketResponse

from bot.app.console.inbox_feed import BATCH, close_sockets
from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import build_services
from tests.conftest import fresh_postgres_url, make_settings
from tests.db_support import PostgresDatabase
from tests.integration.console.http_support import (
    Client,
    agent_client,
    client,
    csrf,
    make_client,
    services_of,
    sign_in,
)
from tests.integration.console.test_inbox import agent_on_each_backend, customer_writes

__all__ = ["agent_client", "agent_on_each_backend", "client"]


async def next_frame(
    socket: ClientWebSocketResponse, type_: str, wait_s: float = 10.0
) -> dict[str, Any]:
    """The next frame of ``type_`` (others before it are passed over)."""
    async with asyncio.timeout(wait_s):
        while True:
            frame: dict[str, Any] = await socket.receive_json()
            if frame["type"] == type_:
                return frame


async def test_the_socket_brings_new_messages_and_changes(
    agent_on_each_backend: Client,
) -> None:
    client = agent_on_each_backend
    socket = await client.ws_connect("/console/inbox/live")
    try:
        cid = await customer_writes(client, "chat-live", "Is anyone there?")
        frame = await next_frame(socket, "message.received")
        assert frame["conversation"]["id"] == cid
        assert frame["conversation"]["status"] == "open"
        assert frame["conversation"]["preview"] == "Is anyone there?"
        assert frame["message"]["kind"] == "customer"
        assert frame["message"]["author"] == "Customer"
        assert frame["message"]["text"] == "Is anyone there?"

        headers = {"X-CSRF-Token": await csrf(client)}
        assert (await client.post(f"/api/conversations/{cid}/close", headers=headers)).status == 200
        frame = await next_frame(socket, "conversation.closed")
        assert frame["conversation"]["id"] == cid
        assert frame["conversation"]["status"] == "closed"

        assert (await client.post(f"/api/conversations/{cid}/claim", headers=headers)).status == 200
        frame = await next_frame(socket, "conversation.assigned")
        assert frame["conversation"]["assignee"] == "Ana Agent"
        assert frame["agent_id"] == frame["conversation"]["assignee_id"]

        note = await client.post(
            f"/api/conversations/{cid}/notes", json={"text": "VIP"}, headers=headers
        )
        assert note.status == 201
        frame = await next_frame(socket, "note.added")
        assert (frame["message"]["kind"], frame["message"]["author"]) == (
            "note",
            "Internal note · Ana Agent",
        )
    finally:
        await socket.close()


async def test_a_socket_catches_up_from_its_page_once(agent_client: Client) -> None:
    client = agent_client
    cid = await customer_writes(client, "chat-early", "First")
    await customer_writes(client, "chat-early", "Second")
    socket = await client.ws_connect("/console/inbox/live?after=0")
    try:
        first = await next_frame(socket, "message.received")
        second = await next_frame(socket, "message.received")
        assert [first["message"]["text"], second["message"]["text"]] == ["First", "Second"]
        assert first["conversation"]["id"] == cid
        await customer_writes(client, "chat-early", "Third")
        third = await next_frame(socket, "message.received")
        assert third["message"]["text"] == "Third"
        with pytest.raises(TimeoutError):
            await next_frame(socket, "message.received", wait_s=1.0)
    finally:
        await socket.close()


async def test_a_socket_from_another_origin_is_refused(agent_client: Client) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await agent_client.ws_connect(
            "/console/inbox/live", headers={"Origin": "https://evil.example"}
        )
    assert refused.value.status == 403
    socket = await agent_client.ws_connect(
        "/console/inbox/live", headers={"Origin": str(agent_client.make_url("")).rstrip("/")}
    )
    await socket.close()


async def test_a_signed_out_socket_is_refused(client: Client) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/console/inbox/live")
    # the guard sends a signed-out browser to the sign-in page: no socket opens there
    assert refused.value.request_info.url.path == "/console/sign-in"


async def test_a_plain_get_of_the_socket_goes_to_the_inbox(agent_client: Client) -> None:
    answer = await agent_client.get("/console/inbox/live", allow_redirects=False)
    assert (answer.status, answer.headers["Location"]) == (303, "/console/inbox")


async def store_burst(client: Client, texts: list[str]) -> None:
    """Customer messages stored in one commit: every event at once."""
    async with services_of(client).uow() as tx:
        await services_of(client).inbox.store(
            tx,
            [
                InboundMessage(
                    channel="telegram",
                    external_conversation_id="chat-burst",
                    external_message_id=text,
                    sender=SenderProfile(external_id="chat-burst"),
                    text=text,
                )
                for text in texts
            ],
        )


async def test_a_burst_larger_than_one_read_arrives_whole(agent_client: Client) -> None:
    client = agent_client
    socket = await client.ws_connect("/console/inbox/live")
    try:
        texts = [f"message {n}" for n in range(2 * BATCH)]
        await store_burst(client, texts)
        heard = [(await next_frame(socket, "message.received"))["message"]["text"] for _ in texts]
        assert heard == texts
    finally:
        await socket.close()


async def test_a_page_away_for_many_changes_catches_up_on_all(agent_client: Client) -> None:
    texts = [f"missed {n}" for n in range(2 * BATCH + 5)]
    await store_burst(agent_client, texts)
    socket = await agent_client.ws_connect("/console/inbox/live?after=0")
    try:
        heard = [(await next_frame(socket, "message.received"))["message"]["text"] for _ in texts]
        assert heard == texts
    finally:
        await socket.close()


async def test_another_process_wakes_the_socket_through_postgres(
    postgres_database: PostgresDatabase | None, clock: FakeClock
) -> None:
    """A message stored by another process reaches the socket through NOTIFY, long before
    the (here 60 s) fallback poll."""
    url = await fresh_postgres_url(postgres_database)
    client = await make_client(url, clock, RELAYBOT_POLL_INTERVAL=60.0)
    other = build_services(make_settings(url), clock)
    services = services_of(client)
    assert services.listener is not None
    listening = asyncio.create_task(services.listener.run(1.0))
    try:
        await asyncio.wait_for(services.listener.connected.wait(), 10)
        assert await sign_in(client, "ana@example.com") == 303
        socket = await client.ws_connect("/console/inbox/live")
        await asyncio.sleep(0.5)  # the feed waits on its signals
        services.signals.events.clear()
        services.signals.outbox.clear()
        await other.inbox.receive(
            InboundMessage(
                channel="telegram",
                external_conversation_id="chat-far",
                external_message_id="far-1",
                sender=SenderProfile(external_id="chat-far"),
                text="From the other process",
            )
        )
        frame = await next_frame(socket, "message.received", wait_s=10.0)
        assert frame["message"]["text"] == "From the other process"
        await socket.close()
    finally:
        listening.cancel()
        await other.close()
        await client.close()


async def test_a_stopping_server_closes_the_sockets(agent_client: Client) -> None:
    socket = await agent_client.ws_connect("/console/inbox/live")
    await customer_writes(agent_client, "chat-bye", "Hello")
    await next_frame(socket, "message.received")  # the socket is fed
    assert agent_client.app is not None
    await close_sockets(agent_client.app)
    async with asyncio.timeout(5):
        message = await socket.receive()
    assert message.type == aiohttp.WSMsgType.CLOSE and socket.close_code == 1001


async def test_a_restarted_feed_does_not_send_old_changes_again(agent_client: Client) -> None:
    """Each page has its own socket: the feed stops with the last one and starts with the
    next, which hears only what happens from then on (and what its ``after`` asks for)."""
    client = agent_client
    first = await client.ws_connect("/console/inbox/live")
    await customer_writes(client, "chat-again", "Once")
    assert (await next_frame(first, "message.received"))["message"]["text"] == "Once"
    await first.close()
    await asyncio.sleep(1.0)  # the feed notices it has no socket left and stops
    second = await client.ws_connect("/console/inbox/live")
    try:
        await customer_writes(client, "chat-again", "Twice")
        assert (await next_frame(second, "message.received"))["message"]["text"] == "Twice"
    finally:
        await second.close()
