"""Pure pieces of the WhatsApp channel: candidate URLs, form parsing, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from bot.core.config import Settings
from bot.core.messages import OutboundMessage
from channels.twilio_whatsapp.parse import form_to_inbound
from channels.twilio_whatsapp.render import window_open
from channels.twilio_whatsapp.signature import candidate_urls

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_candidates_start_with_the_public_url_and_keep_the_raw_query() -> None:
    request = make_mocked_request("POST", "/webhooks/twilio?x=1", headers={"Host": "internal:8080"})
    urls = candidate_urls(request, settings(RELAYBOT_PUBLIC_URL="https://bot.example.com/"))
    assert urls == ["https://bot.example.com/webhooks/twilio?x=1"]


def test_an_escaped_query_is_also_tried_unescaped() -> None:
    request = make_mocked_request("POST", "/webhooks/twilio?team=O%27Brien&to=a%40b")
    urls = candidate_urls(request, settings(RELAYBOT_PUBLIC_URL="https://bot.example.com"))
    assert urls == [
        "https://bot.example.com/webhooks/twilio?team=O%27Brien&to=a%40b",
        "https://bot.example.com/webhooks/twilio?team=O'Brien&to=a@b",
    ]


def test_forwarded_candidates_only_with_trust_proxy() -> None:
    headers = {
        "Host": "internal:8080",
        "X-Forwarded-Proto": "https,http",
        "X-Forwarded-Host": "chat.example.org, proxy.local",
    }
    request = make_mocked_request("POST", "/webhooks/twilio", headers=headers)
    trusting = settings(
        RELAYBOT_PUBLIC_URL="https://bot.example.com/relay", RELAYBOT_TRUST_PROXY=True
    )
    assert candidate_urls(request, trusting) == [
        "https://bot.example.com/relay/webhooks/twilio",
        "https://chat.example.org/relay/webhooks/twilio",
        "https://chat.example.org/webhooks/twilio",
    ]
    assert (
        len(candidate_urls(request, settings(RELAYBOT_PUBLIC_URL="https://bot.example.com"))) == 1
    )


def test_form_without_sid_or_sender_is_no_message() -> None:
    assert form_to_inbound({"From": "whatsapp:+1"}, NOW) is None
    assert form_to_inbound({"MessageSid": "SM1"}, NOW) is None


def test_list_reply_is_a_button() -> None:
    form = {
        "MessageSid": "SM1",
        "From": "whatsapp:+15550001",
        "ListId": "opt-2",
        "ListTitle": "Shipping",
        "Body": "Shipping",
    }
    message = form_to_inbound(form, NOW)
    assert message is not None
    assert (message.kind, message.payload, message.text) == ("button", "opt-2", "Shipping")
    assert message.sender.phone == "+15550001"


def test_bad_numbers_do_not_break_parsing() -> None:
    form = {
        "MessageSid": "SM1",
        "From": "whatsapp:+1",
        "NumMedia": "x",
        "Latitude": "north",
        "Longitude": "1",
    }
    message = form_to_inbound(form, NOW)
    assert message is not None
    assert (message.kind, message.media, message.location) == ("text", [], None)


def _check(last: datetime | None, now: datetime) -> bool:
    return last is not None and now - last < timedelta(hours=24)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({}, None),
        ({"freeform_allowed": True}, True),
        ({"freeform_allowed": False, "last_customer_message_at": NOW}, False),
        ({"last_customer_message_at": None}, False),
        ({"last_customer_message_at": NOW - timedelta(hours=1)}, True),
        ({"last_customer_message_at": (NOW - timedelta(days=2)).isoformat()}, False),
        ({"last_customer_message_at": 12345}, None),
    ],
)
def test_window_open(metadata: dict[str, Any], expected: bool | None) -> None:
    message = OutboundMessage(channel="whatsapp", external_conversation_id="x", metadata=metadata)
    assert window_open(message, NOW, _check) is expected
