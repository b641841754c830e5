"""The WebSocket transport: sessions, refusals, messages, events and live delivery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiohttp import WSMsgType

from bot.core.messages import OutboundMessage
from channels.widget import identity_hash
from channels.widget.tokens import TokenSigner, VisitorToken
from tests.unit.widget.conftest import IDENTITY_SECRET, WidgetRig
from workflows.message_parts import Choice


async def welcome(rig: WidgetRig, **hello: Any) -> tuple[Any, dict[str, Any]]:
    ws = await rig.connect(hello)
    frame = await ws.receive_json()
    assert frame["type"] == "welcome"
    return ws, frame


async def closed_with(ws: Any) -> tuple[int, str]:
    msg = await ws.receive()
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    return ws.close_code, str(msg.extra or "")


async def test_a_new_visitor_gets_an_id_and_a_token_and_keeps_them(rig: WidgetRig) -> None:
    ws, first = await welcome(rig)
    assert first["visitor_id"].startswith("v_")
    assert first["history"] == []
    await ws.send_json({"type": "message", "client_id": "c1", "text": "hello"})
    assert (await ws.receive_json())["type"] == "ack"
    await ws.close()

    again, second = await welcome(rig, token=first["token"])
    assert second["visitor_id"] == first["visitor_id"]
    assert [m["text"] for m in second["history"]] == ["hello"]
    assert second["history"][0]["client_id"] == "c1"
    await again.close()


async def test_a_forged_token_is_refused(rig: WidgetRig) -> None:
    forged = TokenSigner("not-the-server-key", timedelta(days=1)).sign(
        VisitorToken("v_victim", rig.clock.now())
    )
    ws = await rig.connect({"token": forged})
    assert await closed_with(ws) == (4401, "invalid_token")


async def test_a_foreign_origin_is_refused(rig: WidgetRig) -> None:
    ws = await rig.client.ws_connect("/widget/ws", headers={"Origin": "https://evil.example"})
    assert await closed_with(ws) == (4403, "origin_refused")
    assert rig.rec.received == []


async def test_a_verified_identity_attaches_the_user(rig: WidgetRig) -> None:
    user = {"id": "42", "hash": identity_hash("42", IDENTITY_SECRET), "name": "Ana"}
    ws, frame = await welcome(rig, user=user)
    assert frame["identified"] is True
    server_signer = TokenSigner("test-secret-key", timedelta(days=1))
    assert frame["visitor_id"] == server_signer.user_visitor_id("42")
    await ws.send_json({"type": "message", "client_id": "c1", "text": "hi"})
    await ws.receive_json()
    message = rig.rec.received[0]
    assert message.sender.external_id == "42"
    assert message.sender.name == "Ana"
    assert message.metadata["identity_verified"] is True
    await ws.close()


async def test_a_bad_identity_hash_is_refused(rig: WidgetRig) -> None:
    user = {"id": "42", "hash": identity_hash("43", IDENTITY_SECRET)}
    ws = await rig.connect({"user": user})
    assert await closed_with(ws) == (4403, "identity_refused")


async def test_a_message_is_acknowledged_only_after_the_inbox_returns(rig: WidgetRig) -> None:
    rig.rec.gate = asyncio.Event()
    ws, frame = await welcome(rig)
    await ws.send_json({"type": "message", "client_id": "c-1", "text": "  where is my order?  "})
    await ws.send_json({"type": "ping"})
    pending = asyncio.ensure_future(ws.receive_json())
    await asyncio.sleep(0.05)
    assert not pending.done()
    rig.rec.gate.set()
    assert await pending == {"type": "ack", "client_id": "c-1"}
    assert (await ws.receive_json())["type"] == "pong"
    message = rig.rec.received[0]
    assert message.channel == "widget"
    assert message.external_conversation_id == frame["visitor_id"]
    assert message.external_message_id == f"{frame['visitor_id']}:c-1"
    assert message.text == "where is my order?"
    await ws.close()


async def test_a_retried_client_id_reaches_the_inbox_with_the_same_external_id(
    rig: WidgetRig,
) -> None:
    ws, _ = await welcome(rig)
    for _ in range(2):
        await ws.send_json({"type": "message", "client_id": "same", "text": "once"})
        assert (await ws.receive_json())["type"] == "ack"
    first, second = rig.rec.received
    assert first.external_message_id == second.external_message_id
    await ws.close()


async def test_a_pressed_choice_is_a_button_message(rig: WidgetRig) -> None:
    ws, _ = await welcome(rig)
    await ws.send_json({"type": "choice", "client_id": "c2", "value": "track", "label": "Track"})
    await ws.receive_json()
    message = rig.rec.received[0]
    assert (message.kind, message.payload, message.text) == ("button", "track", "Track")
    await ws.close()


async def test_too_long_and_malformed_messages_are_refused(rig: WidgetRig) -> None:
    ws, _ = await welcome(rig)
    await ws.send_json({"type": "message", "client_id": "c1", "text": "x" * 4001})
    assert await ws.receive_json() == {
        "type": "error",
        "code": "too_long",
        "message": "Messages are limited to 4000 characters.",
        "client_id": "c1",
    }
    await ws.send_json({"type": "message", "client_id": "bad id!", "text": "hi"})
    assert (await ws.receive_json())["code"] == "bad_request"
    await ws.send_str("not json")
    assert (await ws.receive_json())["code"] == "bad_request"
    assert rig.rec.received == []
    await ws.close()


async def test_visitors_are_rate_limited_on_the_injected_clock(rig: WidgetRig) -> None:
    ws, _ = await welcome(rig)
    for n in range(3):
        await ws.send_json({"type": "message", "client_id": f"c{n}", "text": "spam"})
        assert (await ws.receive_json())["type"] == "ack"
    await ws.send_json({"type": "message", "client_id": "c3", "text": "spam"})
    refused = await ws.receive_json()
    assert refused["code"] == "rate_limited"
    assert refused["retry_after"] == 2.0
    rig.clock.advance(timedelta(seconds=2))
    await ws.send_json({"type": "message", "client_id": "c3", "text": "spam"})
    assert (await ws.receive_json())["type"] == "ack"
    assert len(rig.rec.received) == 4
    await ws.close()


async def test_the_inbox_failing_is_reported_so_the_browser_retries(rig: WidgetRig) -> None:
    rig.rec.fail = True
    ws, _ = await welcome(rig)
    await ws.send_json({"type": "message", "client_id": "c1", "text": "hi"})
    assert (await ws.receive_json())["code"] == "unavailable"
    await ws.close()


async def test_behavioral_events_have_a_cooldown_per_conversation(rig: WidgetRig) -> None:
    ws, frame = await welcome(rig)
    event = {
        "type": "event",
        "event": "form_frustration",
        "url": "http://shop.test/checkout",
        "selector": "#card",
        "details": {"reason": "validation_failed", "count": 3},
    }
    await ws.send_json(event)
    assert (await ws.receive_json())["accepted"] is True
    await ws.send_json(event)
    assert await ws.receive_json() == {
        "type": "event_ack",
        "event": "form_frustration",
        "accepted": False,
        "reason": "cooldown",
    }
    await ws.send_json({**event, "event": "rage_click"})
    assert (await ws.receive_json())["accepted"] is True
    rig.clock.advance(timedelta(minutes=5))
    await ws.send_json(event)
    assert (await ws.receive_json())["accepted"] is True
    assert [(v, t) for v, t, _ in rig.rec.events] == [
        (frame["visitor_id"], "visitor.form_frustration"),
        (frame["visitor_id"], "visitor.rage_click"),
        (frame["visitor_id"], "visitor.form_frustration"),
    ]
    assert rig.rec.events[0][2] == {
        "url": "http://shop.test/checkout",
        "selector": "#card",
        "details": {"reason": "validation_failed", "count": 3},
    }
    await ws.close()


async def test_send_pushes_live_to_every_tab_of_the_visitor(rig: WidgetRig) -> None:
    tab1, frame = await welcome(rig)
    tab2, _ = await welcome(rig, token=frame["token"])
    other, _ = await welcome(rig)
    result = await rig.channel.send(
        OutboundMessage(
            channel="widget",
            external_conversation_id=frame["visitor_id"],
            text="What's your email?",
            choices=[Choice(label="Skip", value="skip")],
            input_type="email",
            message_id=77,
            metadata={"sender_kind": "agent", "sender_name": "Maya"},
        )
    )
    assert result.status == "sent"
    assert result.external_message_ids == ["77"]
    for tab in (tab1, tab2):
        pushed = await tab.receive_json()
        assert pushed["type"] == "message"
        message = pushed["message"]
        assert message["id"] == "77"
        assert message["input_type"] == "email"
        assert message["choices"] == [{"label": "Skip", "value": "skip"}]
        assert (message["sender_kind"], message["sender_name"]) == ("agent", "Maya")
    await other.send_json({"type": "ping"})
    assert (await other.receive_json())["type"] == "pong"  # nothing pushed to others
    for ws in (tab1, tab2, other):
        await ws.close()


async def test_send_to_an_offline_visitor_is_fine(rig: WidgetRig) -> None:
    result = await rig.channel.send(
        OutboundMessage(channel="widget", external_conversation_id="v_gone", text="hi")
    )
    assert result.status == "stored"


async def test_typing_is_pushed(rig: WidgetRig) -> None:
    ws, frame = await welcome(rig)
    assert await rig.channel.typing(frame["visitor_id"]) == 1
    assert await ws.receive_json() == {"type": "typing"}
    await ws.close()


async def test_close_drops_every_socket(rig: WidgetRig) -> None:
    ws, _ = await welcome(rig)
    await rig.channel.close()
    assert (await closed_with(ws))[0] == 1001
    assert rig.channel.hub.count() == 0


async def test_other_tabs_see_what_the_visitor_wrote(rig: WidgetRig) -> None:
    tab1, frame = await welcome(rig)
    tab2, _ = await welcome(rig, token=frame["token"])
    await tab1.send_json({"type": "message", "client_id": "c9", "text": "from tab one"})
    assert await tab1.receive_json() == {"type": "ack", "client_id": "c9"}
    echoed = (await tab2.receive_json())["message"]
    assert (echoed["id"], echoed["direction"], echoed["text"]) == (
        "local-c9",
        "in",
        "from tab one",
    )
    await tab1.send_json({"type": "ping"})
    assert (await tab1.receive_json())["type"] == "pong"  # the sender is not echoed to
    for ws in (tab1, tab2):
        await ws.close()
