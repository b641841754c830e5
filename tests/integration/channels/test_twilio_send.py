"""TwilioWhatsAppChannel.send with twilio's Client against the fake REST API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.errors import BadRequestError, ForbiddenError, RateLimitedError, UnavailableError
from bot.core.messages import OutboundMessage
from channels.twilio_whatsapp import TwilioWhatsAppChannel
from tests.fakes.twilio import ACCOUNT_SID, TwilioFake
from tests.integration.channels.conftest import RecordingInbox
from tests.integration.channels.test_twilio_webhook import PUBLIC, make_channel
from workflows.message_parts import Choice, Template

CUSTOMER = "whatsapp:+14155550100"


@pytest.fixture
def channel(http: Any, clock: FakeClock, inbox: RecordingInbox, twilio_fake: TwilioFake) -> Any:
    return make_channel(http, clock, inbox, twilio_fake)


def out(text: str = "Hello", **fields: Any) -> OutboundMessage:
    fields.setdefault("external_conversation_id", CUSTOMER)
    return OutboundMessage(channel="whatsapp", text=text, **fields)


def within_window(clock: FakeClock) -> dict[str, Any]:
    return {"last_customer_message_at": clock.now() - timedelta(hours=23, minutes=59)}


async def test_is_a_channel(channel: TwilioWhatsAppChannel) -> None:
    assert isinstance(channel, Channel)
    assert channel.name == "whatsapp"


async def test_text_message(channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake) -> None:
    result = await channel.send(out("Hi Ada"))
    [request] = twilio_fake.received("/Messages.json")
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": CUSTOMER,
        "From": "whatsapp:+14155238886",
        "Body": "Hi Ada",
        "StatusCallback": PUBLIC + "/webhooks/twilio/status",
    }
    assert result.external_message_ids == ["SM" + "1".zfill(32)]
    assert result.status == "queued"


async def test_messaging_service_sends_from_the_pool(
    http: Any, clock: FakeClock, inbox: RecordingInbox, twilio_fake: TwilioFake
) -> None:
    channel = make_channel(
        http, clock, inbox, twilio_fake, TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32
    )
    result = await channel.send(out(external_conversation_id="+14155550100"))
    [form] = twilio_fake.messages()
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in form
    assert form["To"] == CUSTOMER
    assert result.status == "queued"


async def test_choices_are_a_numbered_list(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    choices = [Choice(label="Billing", value="billing"), Choice(label="Shipping", value="shipping")]
    await channel.send(out("What is it about?", choices=choices))
    assert twilio_fake.messages()[0]["Body"] == "What is it about?\n\n1. Billing\n2. Shipping"


async def test_long_text_is_split(channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake) -> None:
    text = " ".join(f"word{i:04d}" for i in range(400))  # 3,599 characters
    result = await channel.send(out(text))
    bodies = [form["Body"] for form in twilio_fake.messages()]
    assert len(bodies) == 3
    assert all(len(body) <= 1600 for body in bodies)
    assert " ".join(bodies) == text
    assert len(result.external_message_ids) == 3


async def test_media_goes_with_the_first_part(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    await channel.send(out("Your label", media_url="https://cdn.example.com/label.pdf"))
    assert twilio_fake.messages()[0]["Body"] == "Your label"
    assert twilio_fake.multi(0, "MediaUrl") == ["https://cdn.example.com/label.pdf"]


async def test_template_outside_the_window(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake, clock: FakeClock
) -> None:
    last = clock.now() - timedelta(hours=24)
    template = Template(content_sid="HX" + "2" * 32, variables={"1": "Ada", "2": "#1042"})
    await channel.send(
        out("free text", template=template, metadata={"last_customer_message_at": last})
    )
    [form] = twilio_fake.messages()
    assert form["ContentSid"] == "HX" + "2" * 32
    assert json.loads(form["ContentVariables"]) == {"1": "Ada", "2": "#1042"}
    assert "Body" not in form


async def test_freeform_inside_the_window_even_with_a_template(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake, clock: FakeClock
) -> None:
    template = Template(content_sid="HX" + "2" * 32)
    await channel.send(out("free text", template=template, metadata=within_window(clock)))
    [form] = twilio_fake.messages()
    assert form["Body"] == "free text"
    assert "ContentSid" not in form


async def test_template_when_the_window_is_unknown(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    await channel.send(out("free text", template=Template(content_sid="HX1")))
    assert twilio_fake.messages()[0]["ContentSid"] == "HX1"


@pytest.mark.parametrize(
    "metadata",
    [{"last_customer_message_at": None}, {"freeform_allowed": False}, "24h-ago-iso"],
)
async def test_outside_the_window_without_template_fails_clearly(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake, clock: FakeClock, metadata: Any
) -> None:
    if metadata == "24h-ago-iso":
        metadata = {"last_customer_message_at": (clock.now() - timedelta(hours=25)).isoformat()}
    with pytest.raises(
        BadRequestError, match="outside WhatsApp's 24-hour window and no template named"
    ):
        await channel.send(out("hello again", metadata=metadata))
    assert twilio_fake.messages() == []


async def test_window_follows_the_injected_clock(
    channel: TwilioWhatsAppChannel, clock: FakeClock
) -> None:
    last = clock.now()
    assert not channel.can_send_freeform(None, clock.now())
    clock.advance(timedelta(hours=23, minutes=59, seconds=59))
    assert channel.can_send_freeform(last, clock.now())
    clock.advance(timedelta(seconds=1))
    assert not channel.can_send_freeform(last, clock.now())


async def test_429_is_rate_limited_with_retry_after(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    twilio_fake.fail_next(429, headers={"Retry-After": "12"})
    with pytest.raises(RateLimitedError) as caught:
        await channel.send(out())
    assert caught.value.retry_after == 12
    await channel.send(out())
    assert len(twilio_fake.messages()) == 2


async def test_429_without_retry_after(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    twilio_fake.fail_next(429)
    with pytest.raises(RateLimitedError) as caught:
        await channel.send(out())
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_unavailable(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake, status: int
) -> None:
    twilio_fake.fail_next(status)
    with pytest.raises(UnavailableError):
        await channel.send(out())


@pytest.mark.parametrize("code", [21610, 63003, 21211])
async def test_unreachable_customer(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake, code: int
) -> None:
    twilio_fake.fail_next(400, body={"code": code, "message": "nope"})
    with pytest.raises((ForbiddenError, BadRequestError)) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is True
    assert str(code) in caught.value.reason


async def test_window_error_from_twilio_does_not_mark_unreachable(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    twilio_fake.fail_next(400, body={"code": 63016, "message": "outside the allowed window"})
    with pytest.raises(ForbiddenError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is False
    assert "template" in caught.value.reason


async def test_other_4xx_is_a_bad_request(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    twilio_fake.fail_next(400, body={"code": 21619, "message": "A text message body is required"})
    with pytest.raises(BadRequestError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is False


async def test_wrong_credentials_are_forbidden_not_unreachable(
    http: Any, clock: FakeClock, inbox: RecordingInbox, twilio_fake: TwilioFake
) -> None:
    channel = make_channel(http, clock, inbox, twilio_fake, TWILIO_AUTH_TOKEN="wrong")
    with pytest.raises(ForbiddenError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is False
    assert "wrong" not in caught.value.reason


async def test_unreachable_api_is_unavailable(
    http: Any, clock: FakeClock, inbox: RecordingInbox
) -> None:
    fake = TwilioFake()
    await fake.start()
    await fake.stop()
    channel = make_channel(http, clock, inbox, fake)
    with pytest.raises(UnavailableError):
        await channel.send(out())


async def test_empty_message_is_a_bad_request(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    with pytest.raises(BadRequestError):
        await channel.send(out(""))
    assert twilio_fake.messages() == []


async def test_problem_document_errors_are_mapped_too(
    channel: TwilioWhatsAppChannel, twilio_fake: TwilioFake
) -> None:
    problem = {
        "type": "https://www.twilio.com/docs/errors/21610",
        "title": "Unsubscribed recipient",
        "status": 400,
        "code": 21610,
        "detail": "The recipient replied STOP",
    }
    twilio_fake.fail_next(400, body=problem)
    with pytest.raises(ForbiddenError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is True
    assert "replied STOP" in caught.value.reason
