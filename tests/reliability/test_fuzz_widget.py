"""Hypothesis against the widget's endpoints: session, messages, poll and WebSocket.

The properties are those of :mod:`tests.reliability.test_fuzz_http`.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reliability.fuzz_app import SHOP, FuzzApp
from tests.reliability.fuzz_inputs import (
    FUZZ,
    accepted_or_explained,
    consistent,
    header_values,
    huge_text,
    mutate,
    origin_headers,
    origins,
    raw_bodies,
)

frames = st.sampled_from(
    [
        {"type": "message", "client_id": "c-1", "text": "hello"},
        {"type": "choice", "client_id": "c-2", "value": "order", "label": "Order"},
        {
            "type": "event",
            "event": "rage_click",
            "url": "https://shop.example.com/checkout",
            "selector": "#pay",
            "details": {"clicks": 5},
        },
        {"type": "ping"},
        {"type": "hello", "token": None, "page": "https://shop.example.com/"},
    ]
)


def frame_bodies(data: st.DataObject) -> bytes:
    if data.draw(st.booleans()):
        return data.draw(raw_bodies)
    frame = mutate(data.draw(frames), data)
    if data.draw(st.booleans()) and "text" in frame:
        frame["text"] = data.draw(huge_text)
    return json.dumps(frame).encode()


@pytest.fixture(scope="module")
def widget_token(fuzz: FuzzApp) -> str:
    answer = fuzz.request("POST", "/widget/session", body=b"{}", headers={"Origin": SHOP})
    assert answer.status == 200, answer.body
    return str(answer.json()["token"])


@FUZZ
@given(data=st.data(), origin=origins)
def test_widget_session(fuzz: FuzzApp, data: st.DataObject, origin: str | None) -> None:
    if data.draw(st.booleans()):
        hello = mutate(
            {"token": "t", "user": {"id": "u1", "hash": "h", "name": "Ada"}, "page": "/"}, data
        )
        body = json.dumps(hello).encode()
    else:
        body = data.draw(raw_bodies)
    answer = fuzz.request("POST", "/widget/session", body=body, headers=origin_headers(origin))
    accepted_or_explained(answer)
    consistent(fuzz)


@FUZZ
@given(data=st.data(), origin=origins)
def test_widget_messages(
    fuzz: FuzzApp, widget_token: str, data: st.DataObject, origin: str | None
) -> None:
    token = widget_token
    authorization = data.draw(
        st.sampled_from([f"Bearer {token}", "", "Bearer nope"]) | header_values
    )
    headers = {**origin_headers(origin), "Authorization": authorization}
    answer = fuzz.request("POST", "/widget/messages", body=frame_bodies(data), headers=headers)
    accepted_or_explained(answer)
    since = data.draw(st.none() | header_values)
    answer = fuzz.request(
        "GET",
        "/widget/messages",
        headers=headers,
        params={"since": since} if since is not None else None,
    )
    accepted_or_explained(answer)
    for path in ("/widget/session", "/widget/messages"):
        accepted_or_explained(fuzz.request("OPTIONS", path, headers=origin_headers(origin)))
    consistent(fuzz)


@FUZZ
@given(data=st.data())
def test_widget_websocket(fuzz: FuzzApp, data: st.DataObject) -> None:
    hello: Any = data.draw(st.sampled_from([{"type": "hello"}, {"type": "hello", "token": "bad"}]))
    if data.draw(st.booleans()):
        hello = mutate(hello, data)
    garbage: list[tuple[bytes, bool]] = data.draw(
        st.lists(
            st.tuples(st.builds(frame_bodies, st.data()) | st.binary(max_size=50), st.booleans()),
            max_size=4,
        )
    )

    async def talk() -> list[Any]:
        async with fuzz.http.ws_connect(fuzz.url("/widget/ws"), headers={"Origin": SHOP}) as ws:
            await ws.send_str(json.dumps(hello))
            first = await ws.receive(timeout=10)
            if first.type != aiohttp.WSMsgType.TEXT:
                return [("closed", ws.close_code)]
            replies = [json.loads(first.data)]
            for frame, binary in garbage:
                if binary:
                    await ws.send_bytes(frame)
                else:
                    await ws.send_str(frame.decode("utf-8", "replace"))
            await ws.send_str(json.dumps({"type": "ping"}))
            while True:
                message = await ws.receive(timeout=10)
                if message.type != aiohttp.WSMsgType.TEXT:
                    return [*replies, ("closed", ws.close_code)]
                replies.append(json.loads(message.data))
                if replies[-1].get("type") == "pong":
                    return replies

    for reply in fuzz.run(talk()):
        if isinstance(reply, tuple):
            assert reply[1] != 1011, "the socket closed on a server error"
        elif reply.get("type") == "error":
            assert reply["code"] and reply["message"]
    consistent(fuzz)
