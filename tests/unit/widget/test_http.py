"""The HTTP fallback and the static files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from channels.widget.limits import RateLimiter
from channels.widget.tokens import TokenSigner, VisitorToken
from tests.unit.widget.conftest import SHOP, WidgetRig

ORIGIN = {"Origin": SHOP}


async def open_session(rig: WidgetRig, **body: Any) -> dict[str, Any]:
    response = await rig.client.post("/widget/session", json=body, headers=ORIGIN)
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    session: dict[str, Any] = await response.json()
    return session


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {**ORIGIN, "Authorization": f"Bearer {session['token']}"}


async def test_send_and_poll_over_http(rig: WidgetRig) -> None:
    session = await open_session(rig)
    sent = await rig.client.post(
        "/widget/messages",
        json={"type": "message", "client_id": "h1", "text": "hello"},
        headers=bearer(session),
    )
    assert sent.status == 200
    assert await sent.json() == {"frames": [{"type": "ack", "client_id": "h1"}]}
    assert rig.rec.received[0].external_message_id == f"{session['visitor_id']}:h1"

    rig.rec.store(session["visitor_id"], "out", "Hi! How can we help?")
    everything = await (await rig.client.get("/widget/messages", headers=bearer(session))).json()
    assert [m["text"] for m in everything["messages"]] == ["hello", "Hi! How can we help?"]
    first_id = everything["messages"][0]["id"]
    newer = await rig.client.get(f"/widget/messages?since={first_id}", headers=bearer(session))
    assert [m["text"] for m in (await newer.json())["messages"]] == ["Hi! How can we help?"]


async def test_http_typing_shows_for_a_few_seconds(rig: WidgetRig) -> None:
    session = await open_session(rig)
    await rig.channel.typing(session["visitor_id"])
    poll = await rig.client.get("/widget/messages", headers=bearer(session))
    assert (await poll.json())["typing"] is True
    rig.clock.advance(timedelta(seconds=9))
    poll = await rig.client.get("/widget/messages", headers=bearer(session))
    assert (await poll.json())["typing"] is False


async def test_a_forged_or_missing_token_is_refused(rig: WidgetRig) -> None:
    forged = TokenSigner("guess", timedelta(days=1)).sign(VisitorToken("v_x", rig.clock.now()))
    for headers in ({**ORIGIN, "Authorization": f"Bearer {forged}"}, ORIGIN):
        response = await rig.client.get("/widget/messages", headers=headers)
        assert response.status == 401
        assert (await response.json())["code"] == "invalid_token"
    response = await rig.client.post("/widget/session", json={"token": forged}, headers=ORIGIN)
    assert response.status == 401


async def test_a_foreign_origin_gets_403_and_no_cors(rig: WidgetRig) -> None:
    evil = {"Origin": "https://evil.example"}
    response = await rig.client.post("/widget/session", json={}, headers=evil)
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await rig.client.options("/widget/messages", headers=evil)
    assert preflight.status == 403
    allowed = await rig.client.options("/widget/messages", headers=ORIGIN)
    assert allowed.status == 204
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]


async def test_rate_limit_over_http_says_when_to_retry(rig: WidgetRig) -> None:
    session = await open_session(rig)
    statuses = []
    for n in range(4):
        response = await rig.client.post(
            "/widget/messages",
            json={"type": "message", "client_id": f"r{n}", "text": "hi"},
            headers=bearer(session),
        )
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
    assert response.headers["Retry-After"] == "2"


async def test_too_long_over_http_is_413(rig: WidgetRig) -> None:
    session = await open_session(rig)
    response = await rig.client.post(
        "/widget/messages",
        json={"type": "message", "client_id": "big", "text": "x" * 5000},
        headers=bearer(session),
    )
    assert response.status == 413
    assert rig.rec.received == []


async def test_static_files_and_demo_page(rig: WidgetRig) -> None:
    script = await rig.client.get("/widget/widget.js")
    assert script.status == 200
    assert script.content_type == "text/javascript"
    assert "RelaybotWidget" in await script.text()
    style = await rig.client.get("/widget/widget.css")
    assert style.content_type == "text/css"
    demo = await rig.client.get("/")
    assert demo.content_type == "text/html"
    page = await demo.text()
    assert '<script src="/widget/widget.js"' in page
    assert 'id="checkout"' in page


async def test_only_new_visitors_spend_the_session_budget(rig: WidgetRig) -> None:
    rig.channel.core.session_rate = RateLimiter(rig.clock, capacity=1, per_second=0.01)
    first = await open_session(rig)
    again = await rig.client.post("/widget/session", json={"token": first["token"]}, headers=ORIGIN)
    assert again.status == 200
    fresh = await rig.client.post("/widget/session", json={}, headers=ORIGIN)
    assert fresh.status == 429


async def test_deeply_nested_body_is_a_bad_frame(rig: WidgetRig) -> None:
    body = b"[" * 30_000 + b"]" * 30_000
    response = await rig.client.post("/widget/session", data=body, headers=ORIGIN)
    assert response.status == 400
    assert (await response.json())["code"] == "bad_request"
