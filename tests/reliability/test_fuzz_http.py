"""Hypothesis against every HTTP endpoint of the running app.

Properties, for every generated request:

- never a 5xx;
- a refused request is a 4xx that says why (a non-empty body; the admin API's
  ``{"error": {"field", "reason"}}``), or a 200 where the platform needs one (an
  update relaybot ignores);
- a badly signed webhook is refused and changes nothing;
- nothing half-written: after each request the database holds only complete
  conversation + message + event sets (:data:`tests.reliability.fuzz_app.INVARIANTS`).

The endpoints come from the app's router: a new endpoint without a fuzzer here fails
:func:`test_every_endpoint_is_fuzzed`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.telegram import callback_update, message_update, signed_headers
from tests.fakes.twilio import inbound_params, status_params
from tests.reliability.fuzz_app import (
    ADMIN_TOKEN,
    SHOP,
    TELEGRAM_SECRET,
    Answer,
    FuzzApp,
    route_table,
)

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
huge_text = st.integers(min_value=0, max_value=3).map(lambda n: "x" * (10 ** (n + 2)))
texts = st.text(max_size=60) | huge_text
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
raw_bodies = st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())


def mutate(base: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``base`` with some fields (also nested ones) replaced, removed or added."""
    result = dict(base)
    for key in data.draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        action = data.draw(st.sampled_from(["replace", "remove", "nest"]))
        if action == "remove":
            result.pop(key)
        elif action == "nest" and isinstance(base[key], dict):
            result[key] = mutate(base[key], data)
        else:
            result[key] = data.draw(json_values)
    for key, value in data.draw(st.dictionaries(st.text(max_size=10), json_values, max_size=2)).items():
        result.setdefault(key, value)
    return result


def accepted_or_explained(answer: Answer, *, allowed: tuple[int, ...] = ()) -> None:
    assert answer.status < 500, answer.body[:300]
    if answer.status >= 400 and answer.status not in allowed:
        assert answer.body.strip(), f"{answer.status} without a reason"


def consistent(fuzz: FuzzApp) -> None:
    assert fuzz.broken_invariants() == []


# --------------------------------------------------------------------------- the router

FUZZED = {
    ("POST", "/webhooks/telegram"), ("POST", "/webhooks/twilio"), ("POST", "/webhooks/twilio/status"),
    ("POST", "/slack/events"),
    ("POST", "/widget/session"), ("POST", "/widget/messages"), ("GET", "/widget/messages"),
    ("OPTIONS", "/widget/session"), ("OPTIONS", "/widget/messages"), ("GET", "/widget/ws"),
    ("GET", "/"), ("GET", "/widget/widget.js"), ("GET", "/widget/widget.css"),
    ("GET", "/healthz"), ("GET", "/metrics"),
}
API = [
    ("GET", "/api/conversations"), ("GET", "/api/conversations/{id}"),
    ("POST", "/api/conversations/{id}/assign"), ("POST", "/api/conversations/{id}/close"),
    ("POST", "/api/conversations/{id}/reopen"), ("POST", "/api/conversations/{id}/tags"),
    ("DELETE", "/api/conversations/{id}/tags/{tag}"), ("POST", "/api/conversations/{id}/messages"),
    ("GET", "/api/contacts"), ("GET", "/api/contacts/{id}"),
    ("GET", "/api/leads"), ("POST", "/api/leads"), ("GET", "/api/leads/{id}"),
    ("POST", "/api/leads/{id}/stage"),
    ("GET", "/api/agents"), ("POST", "/api/agents"), ("PATCH", "/api/agents/{id}"),
    ("GET", "/api/teams"), ("POST", "/api/teams"), ("POST", "/api/teams/{id}/members"),
]


def test_every_endpoint_is_fuzzed(fuzz: FuzzApp) -> None:
    assert route_table(fuzz.app) == FUZZED | set(API)


# --------------------------------------------------------------------------- Telegram

telegram_updates = st.builds(
    lambda n, text: message_update(n, text=text), st.integers(1, 10**6), texts
) | st.builds(lambda n, data: callback_update(n, data), st.integers(1, 10**6), st.text(max_size=80))


@FUZZ
@given(data=st.data(), update=telegram_updates)
def test_telegram_signed_garbage(fuzz: FuzzApp, data: st.DataObject, update: dict[str, Any]) -> None:
    body = json.dumps(mutate(update, data)).encode()
    answer = fuzz.request("POST", "/webhooks/telegram", body=body, headers=signed_headers(TELEGRAM_SECRET))
    assert answer.status in (200, 400), answer.body[:300]
    consistent(fuzz)


@FUZZ
@given(body=raw_bodies, secret=st.none() | header_values.filter(lambda s: s != TELEGRAM_SECRET))
def test_telegram_unsigned_or_unreadable(fuzz: FuzzApp, body: bytes, secret: str | None) -> None:
    before = fuzz.counts()
    headers = signed_headers(secret) if secret is not None else {"Content-Type": "application/json"}
    answer = fuzz.request("POST", "/webhooks/telegram", body=body, headers=headers)
    assert answer.status == 401 and answer.body.strip()
    assert fuzz.counts() == before
    signed = fuzz.request("POST", "/webhooks/telegram", body=body, headers=signed_headers(TELEGRAM_SECRET))
    assert signed.status in (200, 400), signed.body[:300]
    consistent(fuzz)


# --------------------------------------------------------------------------- Twilio

form_values = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40) | huge_text


def mutate_form(base: dict[str, str], data: st.DataObject) -> dict[str, str]:
    form = dict(base)
    for key in data.draw(st.lists(st.sampled_from(sorted(base)), max_size=4, unique=True)):
        if data.draw(st.booleans()):
            form.pop(key)
        else:
            form[key] = data.draw(form_values)
    extra_keys = st.sampled_from(
        ["NumMedia", "MediaUrl0", "MediaContentType0", "Latitude", "Longitude", "ButtonPayload",
         "ButtonText", "ErrorCode", "ErrorMessage", "ReferralBody", "OriginalRepliedMessageSid"]
    ) | st.text(max_size=10)
    for key, value in data.draw(st.dictionaries(extra_keys, form_values, max_size=3)).items():
        form[key] = value
    return form


@FUZZ
@given(data=st.data(), sid=st.text("0123456789abcdef", min_size=1, max_size=32))
def test_twilio_message_signed_garbage(fuzz: FuzzApp, data: st.DataObject, sid: str) -> None:
    form = mutate_form(inbound_params("SM" + sid), data)
    answer = fuzz.twilio("/webhooks/twilio", form)
    accepted_or_explained(answer)
    consistent(fuzz)


@FUZZ
@given(data=st.data(), path=st.sampled_from(["/webhooks/twilio", "/webhooks/twilio/status"]))
def test_twilio_badly_signed_changes_nothing(fuzz: FuzzApp, data: st.DataObject, path: str) -> None:
    before = fuzz.counts()
    form = mutate_form(inbound_params() if path.endswith("twilio") else status_params("SM1", "sent"), data)
    signature = data.draw(st.none() | header_values)
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    answer = fuzz.request("POST", path, body=body, headers=headers)
    assert 400 <= answer.status < 500 and answer.body.strip()
    assert fuzz.counts() == before


@FUZZ
@given(data=st.data(), status=st.sampled_from(["queued", "sent", "delivered", "read", "failed",
                                               "undelivered", "bogus", ""]))
def test_twilio_status_signed_garbage(fuzz: FuzzApp, data: st.DataObject, status: str) -> None:
    form = mutate_form(status_params("SM" + "b" * 32, status, data.draw(st.none() | form_values)), data)
    answer = fuzz.twilio("/webhooks/twilio/status", form)
    accepted_or_explained(answer)
    consistent(fuzz)


# --------------------------------------------------------------------------- widget

origins = st.sampled_from([SHOP, None, "https://evil.example.com", "null"]) | header_values
frames = st.sampled_from([
    {"type": "message", "client_id": "c-1", "text": "hello"},
    {"type": "choice", "client_id": "c-2", "value": "order", "label": "Order"},
    {"type": "event", "event": "rage_click", "url": "https://shop.example.com/checkout",
     "selector": "#pay", "details": {"clicks": 5}},
    {"type": "ping"},
    {"type": "hello", "token": None, "page": "https://shop.example.com/"},
])


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


def origin_headers(origin: str | None) -> dict[str, str]:
    return {"Origin": origin} if origin is not None else {}


@FUZZ
@given(data=st.data(), origin=origins)
def test_widget_session(fuzz: FuzzApp, data: st.DataObject, origin: str | None) -> None:
    if data.draw(st.booleans()):
        hello = mutate({"token": "t", "user": {"id": "u1", "hash": "h", "name": "Ada"}, "page": "/"}, data)
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
    authorization = data.draw(st.sampled_from([f"Bearer {token}", "", "Bearer nope"]) | header_values)
    headers = {**origin_headers(origin), "Authorization": authorization}
    answer = fuzz.request("POST", "/widget/messages", body=frame_bodies(data), headers=headers)
    accepted_or_explained(answer)
    since = data.draw(st.none() | header_values)
    answer = fuzz.request("GET", "/widget/messages", headers=headers,
                          params={"since": since} if since is not None else None)
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
    garbage: list[tuple[bytes, bool]] = data.draw(st.lists(
        st.tuples(st.builds(frame_bodies, st.data()) | st.binary(max_size=50), st.booleans()),
        max_size=4,
    ))

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


# --------------------------------------------------------------------------- Slack

SLACK_EVENT = {
    "token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
    "event_id": "Ev1", "event_time": 1767603600,
    "event": {"type": "message", "channel": "CINBOX", "user": "UAGENT", "text": "hi",
              "ts": "1767603600.000100", "thread_ts": "1767603600.000001"},
}
SLACK_ACTION = {
    "type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "UADMIN"},
    "api_app_id": "A0001", "trigger_id": "t.1", "response_url": "http://127.0.0.1:9/respond",
    "channel": {"id": "CINBOX"}, "container": {"type": "message"},
    "actions": [{"action_id": "relay_claim", "block_id": "b", "value": "1", "type": "button"}],
}
SLACK_COMMAND = {
    "token": "legacy", "team_id": "T0001", "channel_id": "CINBOX", "user_id": "UADMIN",
    "user_name": "admin", "command": "/relay", "text": "queue", "api_app_id": "A0001",
    "response_url": "http://127.0.0.1:9/respond", "trigger_id": "t.2",
}
action_ids = st.sampled_from(["relay_claim", "relay_assign", "relay_unassign", "relay_close",
                              "relay_reopen", "relay_tag", "relay_open_thread", "relay_wf_enable",
                              "relay_wf_disable"])


def slack_body(data: st.DataObject) -> tuple[bytes, str]:
    kind = data.draw(st.sampled_from(["event", "action", "view", "command", "raw"]))
    if kind == "event":
        return json.dumps(mutate(SLACK_EVENT, data)).encode(), "application/json"
    if kind in ("action", "view"):
        base = dict(SLACK_ACTION)
        if kind == "view":
            base = {**base, "type": "view_submission", "view": {
                "callback_id": "relay_tag_modal", "private_metadata": data.draw(st.text(max_size=20)),
                "state": {"values": {"tag": {"tag_value": {"value": data.draw(texts)}}}}}}
        else:
            action = {**SLACK_ACTION["actions"][0], "action_id": data.draw(action_ids),
                      "value": data.draw(st.text(max_size=20))}
            base = {**base, "actions": [mutate(action, data)]}
        payload = json.dumps(mutate(base, data))
        return urlencode({"payload": payload}).encode(), "application/x-www-form-urlencoded"
    if kind == "command":
        form = {**SLACK_COMMAND, "text": data.draw(st.text(max_size=60))}
        return urlencode(mutate_form(form, data)).encode(), "application/x-www-form-urlencoded"
    return data.draw(raw_bodies), data.draw(st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain"]))


@FUZZ
@given(data=st.data())
def test_slack_signed_garbage(fuzz: FuzzApp, data: st.DataObject) -> None:
    body, content_type = slack_body(data)
    answer = fuzz.slack_post(body, content_type)
    accepted_or_explained(answer)
    consistent(fuzz)


@FUZZ
@given(data=st.data(), secret=header_values)
def test_slack_badly_signed_changes_nothing(fuzz: FuzzApp, data: st.DataObject, secret: str) -> None:
    before = fuzz.counts()
    body, content_type = slack_body(data)
    answer = fuzz.slack_post(body, content_type, secret=secret + "-wrong")
    assert answer.status in (400, 401) and answer.body.strip()  # 400: not even readable
    assert fuzz.counts() == before


# --------------------------------------------------------------------------- admin API

path_values = st.integers(-5, 10).map(str) | st.text(
    st.characters(blacklist_characters="/?#%", blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20
)
API_FIELDS = ["agent_id", "team_id", "tag", "text", "name", "expected_amount", "currency",
              "conversation_id", "stage", "email", "slack_user_id", "roles", "capacity", "available"]
api_bodies = st.dictionaries(st.sampled_from(API_FIELDS) | st.text(max_size=8), json_values, max_size=5)
query_params = st.dictionaries(
    st.sampled_from(["status", "channel", "tag", "unassigned", "limit", "offset", "stage", "q"]),
    header_values, max_size=3,
)


@pytest.fixture(scope="module")
def api_data(fuzz: FuzzApp) -> None:
    """A conversation to point the ids at."""
    update = message_update(1, text="hello")
    answer = fuzz.request("POST", "/webhooks/telegram", body=json.dumps(update).encode(),
                          headers=signed_headers(TELEGRAM_SECRET))
    assert answer.status == 200


@FUZZ
@given(data=st.data(), route=st.sampled_from(API))
def test_admin_api(fuzz: FuzzApp, api_data: None, data: st.DataObject, route: tuple[str, str]) -> None:
    method, template = route
    path = template.replace("{id}", quote(data.draw(path_values), safe=""))
    path = path.replace("{tag}", quote(data.draw(path_values), safe=""))
    body = json.dumps(data.draw(api_bodies)).encode() if data.draw(st.booleans()) else data.draw(raw_bodies)
    answer = fuzz.request(method, path, body=body, headers={**AUTH, "Content-Type": "application/json"},
                          params=data.draw(query_params))
    assert answer.status < 500, (method, path, body, answer.body[:300])
    if answer.status in (404, 405) and answer.content_type == "text/plain":
        assert answer.body.strip()  # the router: no such path (an id of "{", say)
    elif answer.status >= 400:
        error = answer.json()["error"]
        assert isinstance(error["field"], str) and error["field"]
        assert isinstance(error["reason"], str) and error["reason"]
    consistent(fuzz)


# --------------------------------------------------------------------------- pages and probes


@FUZZ
@given(path=st.sampled_from(["/", "/widget/widget.js", "/widget/widget.css", "/healthz", "/metrics",
                             "/widget/ws"]),
       params=st.dictionaries(header_values, header_values, max_size=3),
       origin=origins)
def test_pages(fuzz: FuzzApp, path: str, params: dict[str, str], origin: str | None) -> None:
    answer = fuzz.request("GET", path, params=params, headers=origin_headers(origin))
    accepted_or_explained(answer)
