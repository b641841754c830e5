"""POST /webhooks/twilio and /webhooks/twilio/status: signed the way Twilio signs them."""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

from bot.core.clock import FakeClock
from channels.twilio_whatsapp import TwilioWhatsAppChannel
from tests.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SIGNATURE_HEADER,
    TwilioFake,
    inbound_params,
    sign,
    status_params,
)
from tests.integration.channels.conftest import RecordingInbox, make_settings, no_intake

PUBLIC = "https://bot.example.com"
PATH = "/webhooks/twilio"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def make_channel(
    http: Any, clock: FakeClock, inbox: RecordingInbox, fake: TwilioFake, **values: Any
) -> Any:
    settings = make_settings(
        **{
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
            "TWILIO_API_BASE_URL": fake.url,
            "RELAYBOT_PUBLIC_URL": PUBLIC,
            **values,
        }
    )
    channel = TwilioWhatsAppChannel(settings, http, clock, no_intake, inbox.on_status)
    channel.intake = inbox.intake(channel.normalize)
    return channel


@pytest.fixture
def start(
    serve: Any, http: Any, clock: FakeClock, inbox: RecordingInbox, twilio_fake: TwilioFake
) -> Any:
    async def start(**values: Any) -> Any:
        channel = make_channel(http, clock, inbox, twilio_fake, **values)
        return await serve(channel.routes())

    return start


@pytest.fixture
async def client(start: Any) -> Any:
    return await start()


async def post_signed(
    client: Any,
    params: dict[str, str],
    *,
    path: str = PATH,
    signed_url: str | None = None,
    token: str = AUTH_TOKEN,
    headers: dict[str, str] | None = None,
) -> Any:
    url = signed_url if signed_url is not None else PUBLIC + path
    all_headers = {SIGNATURE_HEADER: sign(url, params, token), **(headers or {})}
    return await client.post(path, data=params, headers=all_headers)


async def test_text_message_is_received_then_answered_with_empty_twiml(
    client: Any, inbox: RecordingInbox, clock: FakeClock
) -> None:
    response = await post_signed(client, inbound_params("SM1", body="Where is my order?"))
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert await response.text() == EMPTY_TWIML
    [message] = inbox.messages
    assert message.channel == "whatsapp"
    assert message.kind == "text"
    assert message.text == "Where is my order?"
    assert message.external_message_id == "SM1"
    assert message.external_conversation_id == "whatsapp:+14155550100"
    assert message.sender.name == "Ada Lovelace"
    assert message.sender.phone == "+14155550100"
    assert message.received_at == clock.now()
    assert message.metadata["To"] == "whatsapp:+14155238886"


async def test_media_message(client: Any, inbox: RecordingInbox) -> None:
    params = inbound_params(
        "SM2",
        body="",
        NumMedia="2",
        MediaUrl0="https://api.twilio.com/media/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/media/ME2",
        MediaContentType1="application/pdf",
        MessageType="image",
    )
    assert (await post_signed(client, params)).status == 200
    [message] = inbox.messages
    assert message.kind == "media"
    assert message.text is None
    assert [(m.kind, m.url, m.content_type) for m in message.media] == [
        ("image", "https://api.twilio.com/media/ME1", "image/jpeg"),
        ("document", "https://api.twilio.com/media/ME2", "application/pdf"),
    ]


async def test_quick_reply_button(client: Any, inbox: RecordingInbox) -> None:
    params = inbound_params(
        "SM3", body="Billing", ButtonPayload="billing", ButtonText="Billing", MessageType="button"
    )
    await post_signed(client, params)
    [message] = inbox.messages
    assert (message.kind, message.payload, message.text) == ("button", "billing", "Billing")


async def test_location(client: Any, inbox: RecordingInbox) -> None:
    params = inbound_params(
        "SM4",
        body="",
        Latitude="52.52",
        Longitude="13.405",
        Address="Alexanderplatz",
        MessageType="location",
    )
    await post_signed(client, params)
    [message] = inbox.messages
    assert message.kind == "location"
    assert message.location is not None
    assert (message.location.latitude, message.location.longitude, message.location.label) == (
        52.52,
        13.405,
        "Alexanderplatz",
    )


# --- signatures: the setups that must never be locked out ------------------------------------


async def test_sender_in_a_messaging_service_pool(client: Any, inbox: RecordingInbox) -> None:
    params = inbound_params("SM10", to="whatsapp:+14155559999", MessagingServiceSid="MG" + "1" * 32)
    assert (await post_signed(client, params)).status == 200
    [message] = inbox.messages
    assert message.metadata["To"] == "whatsapp:+14155559999"
    assert message.metadata["MessagingServiceSid"] == "MG" + "1" * 32


async def test_webhook_url_with_a_query_string(client: Any, inbox: RecordingInbox) -> None:
    path = PATH + "?inbox=main&b=a%20b"
    response = await post_signed(
        client, inbound_params("SM11"), path=path, signed_url=PUBLIC + path
    )
    assert response.status == 200
    assert len(inbox.messages) == 1


async def test_query_string_twilio_signed_unescaped(client: Any, inbox: RecordingInbox) -> None:
    # Twilio signs the URL as entered in the console; the request line carries it escaped.
    path = PATH + "?team=O%27Brien&contact=ops%40example.com"
    params = inbound_params("SM17")
    signed = PUBLIC + PATH + "?team=O'Brien&contact=ops@example.com"
    raw_url = URL(str(client.make_url("/")).rstrip("/") + path, encoded=True)
    response = await client.session.post(
        raw_url, data=params, headers={SIGNATURE_HEADER: sign(signed, params)}
    )
    assert response.status == 200
    assert len(inbox.messages) == 1


@pytest.mark.parametrize(
    ("public_url", "signed_base"),
    [
        ("https://bot.example.com:8443", "https://bot.example.com:8443"),
        ("https://bot.example.com:8443", "https://bot.example.com"),
        ("https://bot.example.com", "https://bot.example.com:443"),
        ("https://bot.example.com:443", "https://bot.example.com"),
    ],
    ids=[
        "port-signed-with-port",
        "port-signed-without",
        "default-port-added",
        "default-port-dropped",
    ],
)
async def test_ports_signed_either_way(
    start: Any, inbox: RecordingInbox, public_url: str, signed_base: str
) -> None:
    client = await start(RELAYBOT_PUBLIC_URL=public_url)
    response = await post_signed(client, inbound_params("SM12"), signed_url=signed_base + PATH)
    assert response.status == 200
    assert len(inbox.messages) == 1


async def test_public_url_with_a_path_prefix(start: Any, inbox: RecordingInbox) -> None:
    client = await start(RELAYBOT_PUBLIC_URL="https://example.com/relay/")
    response = await post_signed(
        client, inbound_params("SM13"), signed_url="https://example.com/relay" + PATH
    )
    assert response.status == 200


async def test_tls_terminating_proxy_with_trust_proxy(start: Any, inbox: RecordingInbox) -> None:
    # RELAYBOT_PUBLIC_URL left at its default; the proxy says where Twilio called.
    client = await start(RELAYBOT_PUBLIC_URL="http://127.0.0.1:8080", RELAYBOT_TRUST_PROXY="true")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.org"}
    response = await post_signed(
        client,
        inbound_params("SM14"),
        signed_url="https://chat.example.org" + PATH,
        headers=forwarded,
    )
    assert response.status == 200
    assert len(inbox.messages) == 1


async def test_proxy_on_a_non_default_port(start: Any, inbox: RecordingInbox) -> None:
    client = await start(RELAYBOT_TRUST_PROXY="true")
    forwarded = {
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "chat.example.org",
        "X-Forwarded-Port": "8443",
    }
    response = await post_signed(
        client,
        inbound_params("SM15"),
        signed_url="https://chat.example.org:8443" + PATH,
        headers=forwarded,
    )
    assert response.status == 200


async def test_forwarded_headers_are_ignored_without_trust_proxy(
    start: Any, inbox: RecordingInbox
) -> None:
    client = await start(RELAYBOT_PUBLIC_URL="http://127.0.0.1:8080")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.org"}
    response = await post_signed(
        client,
        inbound_params("SM16"),
        signed_url="https://chat.example.org" + PATH,
        headers=forwarded,
    )
    assert response.status == 401
    assert inbox.messages == []


# --- forged, unsigned, tampered ----------------------------------------------------------------


async def test_unsigned_is_refused(client: Any, inbox: RecordingInbox) -> None:
    response = await client.post(PATH, data=inbound_params("SM20"))
    assert response.status == 401
    assert inbox.messages == []


async def test_signed_with_another_token_is_refused(client: Any, inbox: RecordingInbox) -> None:
    response = await post_signed(client, inbound_params("SM21"), token="not-the-token")
    assert response.status == 401
    assert inbox.messages == []


async def test_tampered_body_is_refused(client: Any, inbox: RecordingInbox) -> None:
    params = inbound_params("SM22", body="hello")
    headers = {SIGNATURE_HEADER: sign(PUBLIC + PATH, params)}
    response = await client.post(PATH, data={**params, "Body": "refund me"}, headers=headers)
    assert response.status == 401
    response = await client.post(PATH, data={**params, "Extra": "1"}, headers=headers)
    assert response.status == 401
    assert inbox.messages == []


async def test_signature_for_another_url_is_refused(client: Any, inbox: RecordingInbox) -> None:
    response = await post_signed(
        client, inbound_params("SM23"), signed_url="https://evil.example.com" + PATH
    )
    assert response.status == 401
    path = PATH + "?inbox=main"
    response = await post_signed(
        client, inbound_params("SM23"), path=path, signed_url=PUBLIC + PATH
    )
    assert response.status == 401
    assert inbox.messages == []


async def test_status_signature_cannot_be_replayed_as_a_message(
    client: Any, inbox: RecordingInbox
) -> None:
    params = inbound_params("SM24")
    headers = {SIGNATURE_HEADER: sign(PUBLIC + PATH + "/status", params)}
    assert (await client.post(PATH, data=params, headers=headers)).status == 401


async def test_inbox_failure_answers_500(client: Any, inbox: RecordingInbox) -> None:
    inbox.fail_with = RuntimeError("database is down")
    assert (await post_signed(client, inbound_params("SM25"))).status == 500
    inbox.fail_with = None
    assert (await post_signed(client, inbound_params("SM25"))).status == 200
    assert [m.external_message_id for m in inbox.messages] == ["SM25"]


# --- status callbacks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_code"),
    [
        ("sent", None),
        ("delivered", None),
        ("read", None),
        ("failed", "63016"),
        ("undelivered", "63024"),
    ],
)
async def test_status_callbacks(
    client: Any, inbox: RecordingInbox, status: str, error_code: str | None
) -> None:
    response = await post_signed(
        client, status_params("SM30", status, error_code), path=PATH + "/status"
    )
    assert response.status == 204
    assert inbox.statuses == [("SM30", status, error_code)]


async def test_unsigned_status_is_refused(client: Any, inbox: RecordingInbox) -> None:
    response = await client.post(PATH + "/status", data=status_params("SM31", "delivered"))
    assert response.status == 401
    assert inbox.statuses == []


async def test_status_failure_answers_500(client: Any, inbox: RecordingInbox) -> None:
    inbox.fail_with = RuntimeError("database is down")
    response = await post_signed(client, status_params("SM32", "read"), path=PATH + "/status")
    assert response.status == 500
