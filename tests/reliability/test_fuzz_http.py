"""Hypothesis against every HTTP endpoint of the running app.

Properties, for every generated request:

- never a 5xx;
- a refused request is a 4xx that says why (a non-empty body; the admin API's
  ``{"error": {"field", "reason"}}``), or a 200 where the platform needs one (an
  update relaybot ignores);
- a badly signed webhook is refused and changes nothing;
- nothing half-written: after each request the database holds only complete
  conversation + message + event sets (:data:`tests.reliability.fuzz_app.INVARIANTS`).

The endpoints come from the app's router: a new endpoint without a fuzzer here or in
:mod:`tests.reliability.test_fuzz_widget` fails :func:`test_every_endpoint_is_fuzzed`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from bot.app.api import MODULES as API_MODULES
from bot.app.api import PREFIX
from bot.app.console.routes import ADMIN_PAGES, SIGNED_IN_PAGES
from tests.fakes.telegram import callback_update, message_update, signed_headers
from tests.fakes.twilio import inbound_params, status_params
from tests.reliability.fuzz_app import TELEGRAM_SECRET, FuzzApp, route_table
from tests.reliability.fuzz_inputs import (
    AUTH,
    FUZZ,
    accepted_or_explained,
    consistent,
    header_values,
    huge_text,
    json_values,
    mutate,
    origin_headers,
    origins,
    raw_bodies,
    texts,
)

# --------------------------------------------------------------------------- the router

FUZZED = {
    ("POST", "/webhooks/telegram"),
    ("POST", "/webhooks/twilio"),
    ("POST", "/webhooks/twilio/status"),
    ("POST", "/slack/events"),
    ("POST", "/widget/session"),
    ("POST", "/widget/messages"),
    ("GET", "/widget/messages"),
    ("OPTIONS", "/widget/session"),
    ("OPTIONS", "/widget/messages"),
    ("GET", "/widget/ws"),
    ("GET", "/"),
    ("GET", "/widget/widget.js"),
    ("GET", "/widget/widget.css"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/openapi.json"),
}
CONSOLE_PAGES = [
    "/console",
    "/console/",
    "/console/sign-in",
    "/console/console.css",
    "/console/static/{name}",
    *(path for method, path, _ in (*SIGNED_IN_PAGES, *ADMIN_PAGES) if method == "GET"),
]
"""Every console page: the fixed ones and each section's, from the console's route table."""
CONSOLE_FORMS = [
    "/console/sign-in",
    *(path for method, path, _ in (*SIGNED_IN_PAGES, *ADMIN_PAGES) if method == "POST"),
]
FUZZED |= {("GET", path) for path in CONSOLE_PAGES}
FUZZED |= {("POST", path) for path in CONSOLE_FORMS}
API = sorted(
    (route.method, PREFIX + route.path)
    for module in API_MODULES
    for route in module.routes
    if isinstance(route, web.RouteDef)
)
"""Every admin API route, from each API module's route table."""


def test_every_endpoint_is_fuzzed(fuzz: FuzzApp) -> None:
    assert route_table(fuzz.app) == FUZZED | set(API)


# --------------------------------------------------------------------------- Telegram

telegram_updates = st.builds(
    lambda n, text: message_update(n, text=text), st.integers(1, 10**6), texts
) | st.builds(lambda n, data: callback_update(n, data), st.integers(1, 10**6), st.text(max_size=80))


@FUZZ
@given(data=st.data(), update=telegram_updates)
def test_telegram_signed_garbage(
    fuzz: FuzzApp, data: st.DataObject, update: dict[str, Any]
) -> None:
    body = json.dumps(mutate(update, data)).encode()
    answer = fuzz.request(
        "POST", "/webhooks/telegram", body=body, headers=signed_headers(TELEGRAM_SECRET)
    )
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
    signed = fuzz.request(
        "POST", "/webhooks/telegram", body=body, headers=signed_headers(TELEGRAM_SECRET)
    )
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
        [
            "NumMedia",
            "MediaUrl0",
            "MediaContentType0",
            "Latitude",
            "Longitude",
            "ButtonPayload",
            "ButtonText",
            "ErrorCode",
            "ErrorMessage",
            "ReferralBody",
            "OriginalRepliedMessageSid",
        ]
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
    form = mutate_form(
        inbound_params() if path.endswith("twilio") else status_params("SM1", "sent"), data
    )
    signature = data.draw(st.none() | header_values)
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    answer = fuzz.request("POST", path, body=body, headers=headers)
    assert 400 <= answer.status < 500 and answer.body.strip()
    assert fuzz.counts() == before


@FUZZ
@given(
    data=st.data(),
    status=st.sampled_from(
        ["queued", "sent", "delivered", "read", "failed", "undelivered", "bogus", ""]
    ),
)
def test_twilio_status_signed_garbage(fuzz: FuzzApp, data: st.DataObject, status: str) -> None:
    form = mutate_form(
        status_params("SM" + "b" * 32, status, data.draw(st.none() | form_values)), data
    )
    answer = fuzz.twilio("/webhooks/twilio/status", form)
    accepted_or_explained(answer)
    consistent(fuzz)


# --------------------------------------------------------------------------- Slack

SLACK_EVENT = {
    "token": "legacy",
    "team_id": "T0001",
    "api_app_id": "A0001",
    "type": "event_callback",
    "event_id": "Ev1",
    "event_time": 1767603600,
    "event": {
        "type": "message",
        "channel": "CINBOX",
        "user": "UAGENT",
        "text": "hi",
        "ts": "1767603600.000100",
        "thread_ts": "1767603600.000001",
    },
}
SLACK_ACTION = {
    "type": "block_actions",
    "team": {"id": "T0001"},
    "user": {"id": "UADMIN"},
    "api_app_id": "A0001",
    "trigger_id": "t.1",
    "response_url": "http://127.0.0.1:9/respond",
    "channel": {"id": "CINBOX"},
    "container": {"type": "message"},
    "actions": [{"action_id": "relay_claim", "block_id": "b", "value": "1", "type": "button"}],
}
SLACK_COMMAND = {
    "token": "legacy",
    "team_id": "T0001",
    "channel_id": "CINBOX",
    "user_id": "UADMIN",
    "user_name": "admin",
    "command": "/relay",
    "text": "queue",
    "api_app_id": "A0001",
    "response_url": "http://127.0.0.1:9/respond",
    "trigger_id": "t.2",
}
action_ids = st.sampled_from(
    [
        "relay_claim",
        "relay_assign",
        "relay_unassign",
        "relay_close",
        "relay_reopen",
        "relay_tag",
        "relay_open_thread",
        "relay_wf_enable",
        "relay_wf_disable",
    ]
)


def slack_body(data: st.DataObject) -> tuple[bytes, str]:
    kind = data.draw(st.sampled_from(["event", "action", "view", "command", "raw"]))
    if kind == "event":
        return json.dumps(mutate(SLACK_EVENT, data)).encode(), "application/json"
    if kind in ("action", "view"):
        base = dict(SLACK_ACTION)
        if kind == "view":
            base = {
                **base,
                "type": "view_submission",
                "view": {
                    "callback_id": "relay_tag_modal",
                    "private_metadata": data.draw(st.text(max_size=20)),
                    "state": {"values": {"tag": {"tag_value": {"value": data.draw(texts)}}}},
                },
            }
        else:
            action = {
                **SLACK_ACTION["actions"][0],
                "action_id": data.draw(action_ids),
                "value": data.draw(st.text(max_size=20)),
            }
            base = {**base, "actions": [mutate(action, data)]}
        payload = json.dumps(mutate(base, data))
        return urlencode({"payload": payload}).encode(), "application/x-www-form-urlencoded"
    if kind == "command":
        form = {**SLACK_COMMAND, "text": data.draw(st.text(max_size=60))}
        return urlencode(mutate_form(form, data)).encode(), "application/x-www-form-urlencoded"
    return data.draw(raw_bodies), data.draw(
        st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"])
    )


@FUZZ
@given(data=st.data())
def test_slack_signed_garbage(fuzz: FuzzApp, data: st.DataObject) -> None:
    body, content_type = slack_body(data)
    answer = fuzz.slack_post(body, content_type)
    accepted_or_explained(answer)
    consistent(fuzz)


@FUZZ
@given(data=st.data(), secret=header_values)
def test_slack_badly_signed_changes_nothing(
    fuzz: FuzzApp, data: st.DataObject, secret: str
) -> None:
    before = fuzz.counts()
    body, content_type = slack_body(data)
    answer = fuzz.slack_post(body, content_type, secret=secret + "-wrong")
    assert answer.status in (400, 401) and answer.body.strip()  # 400: not even readable
    assert fuzz.counts() == before


# --------------------------------------------------------------------------- admin API

path_values = st.integers(-5, 10).map(str) | st.text(
    st.characters(blacklist_characters="/?#%", blacklist_categories=["Cs", "Cc"]),
    min_size=1,
    max_size=20,
)
API_FIELDS = [
    "agent_id",
    "team_id",
    "tag",
    "text",
    "name",
    "expected_amount",
    "currency",
    "conversation_id",
    "stage",
    "email",
    "slack_user_id",
    "roles",
    "capacity",
    "available",
    "version",
    "confirm",
    "slack_channel",
    "note",
]
api_bodies = st.dictionaries(
    st.sampled_from(API_FIELDS) | st.text(max_size=8), json_values, max_size=5
)
QUERY_KEYS = [
    *("status", "channel", "tag", "unassigned", "limit", "offset", "stage", "q"),
    *("workflow", "conversation", "since", "until", "before", "from", "to", "assignee"),
]
query_params = st.dictionaries(
    st.sampled_from(QUERY_KEYS),
    header_values,
    max_size=3,
)


def _filled(template: str, data: st.DataObject) -> str:
    """``template`` with each ``{placeholder}`` replaced by a drawn path value."""
    return re.sub(r"\{[a-z_]+\}", lambda _: quote(data.draw(path_values), safe=""), template)


@pytest.fixture(scope="module")
def api_data(fuzz: FuzzApp) -> None:
    """A conversation to point the ids at."""
    update = message_update(1, text="hello")
    answer = fuzz.request(
        "POST",
        "/webhooks/telegram",
        body=json.dumps(update).encode(),
        headers=signed_headers(TELEGRAM_SECRET),
    )
    assert answer.status == 200


@FUZZ
@given(data=st.data(), route=st.sampled_from(API))
def test_admin_api(
    fuzz: FuzzApp, api_data: None, data: st.DataObject, route: tuple[str, str]
) -> None:
    method, template = route
    path = _filled(template, data)
    body = (
        json.dumps(data.draw(api_bodies)).encode()
        if data.draw(st.booleans())
        else data.draw(raw_bodies)
    )
    answer = fuzz.request(
        method,
        path,
        body=body,
        headers={**AUTH, "Content-Type": "application/json"},
        params=data.draw(query_params),
    )
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
@given(
    path=st.sampled_from(
        [
            "/",
            "/widget/widget.js",
            "/widget/widget.css",
            "/healthz",
            "/metrics",
            "/widget/ws",
            "/api/openapi.json",
            *CONSOLE_PAGES,
        ]
    ),
    data=st.data(),
    params=st.dictionaries(header_values, header_values, max_size=3),
    origin=origins,
)
def test_pages(
    fuzz: FuzzApp, path: str, data: st.DataObject, params: dict[str, str], origin: str | None
) -> None:
    answer = fuzz.request("GET", _filled(path, data), params=params, headers=origin_headers(origin))
    accepted_or_explained(answer)


@FUZZ
@given(
    data=st.data(),
    template=st.sampled_from(CONSOLE_FORMS),
    form=st.dictionaries(
        st.sampled_from(["email", "password", "csrf_token", "next"]) | header_values,
        header_values,
        max_size=4,
    ),
    cookie=st.none() | header_values,
    csrf=st.none() | header_values,
    origin=origins,
)
def test_console_forms(
    fuzz: FuzzApp,
    data: st.DataObject,
    template: str,
    form: dict[str, str],
    cookie: str | None,
    csrf: str | None,
    origin: str | None,
) -> None:
    """Console forms with made-up sessions, CSRF tokens and fields: refused with a
    reason, never a 5xx, nothing half-written (no one signs in without an account)."""
    path = _filled(template, data)
    headers = {**origin_headers(origin), "Content-Type": "application/x-www-form-urlencoded"}
    if cookie is not None:
        headers["Cookie"] = f"relaybot_console={quote(cookie, safe='')}"
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    body = urlencode(form).encode() if data.draw(st.booleans()) else data.draw(raw_bodies)
    answer = fuzz.request("POST", path, body=body, headers=headers)
    accepted_or_explained(answer)
    consistent(fuzz)
