"""POST /webhooks/telegram: secret first, then every kind of update to one InboundMessage."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.clock import FakeClock
from channels.telegram import TelegramChannel
from tests.fakes.telegram import (
    TelegramFake,
    callback_update,
    message_update,
    signed_headers,
)
from tests.integration.channels.conftest import RecordingInbox, make_settings, telegram_channel

SECRET = "s3cret-Token_1"
PATH = "/webhooks/telegram"


@pytest.fixture
async def channel(
    http: Any, clock: FakeClock, inbox: RecordingInbox, telegram_fake: TelegramFake
) -> Any:
    settings = make_settings(
        TELEGRAM_BOT_TOKEN=telegram_fake.token,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=telegram_fake.base_url,
    )
    channel = telegram_channel(settings, http, clock, inbox)
    yield channel
    await channel.close()


@pytest.fixture
async def client(serve: Any, channel: TelegramChannel) -> Any:
    return await serve(channel.routes())


async def post(client: Any, update: dict[str, Any], secret: str | None = SECRET) -> Any:
    headers = signed_headers(secret) if secret is not None else {"Content-Type": "application/json"}
    return await client.post(PATH, json=update, headers=headers)


async def test_text_message(client: Any, inbox: RecordingInbox, clock: FakeClock) -> None:
    response = await post(client, message_update(7, text="Where is my order?"))
    assert response.status == 200
    [message] = inbox.messages
    assert message.channel == "telegram"
    assert message.kind == "text"
    assert message.text == "Where is my order?"
    assert message.external_message_id == "update:7"
    assert message.external_conversation_id == "42"
    assert message.received_at == clock.now()
    assert message.sender.external_id == "42"
    assert message.sender.name == "Ada Lovelace"
    assert message.sender.username == "ada"
    assert message.sender.locale == "en"
    assert message.metadata["message_id"] == 507


@pytest.mark.parametrize(
    ("text", "param"),
    [("/start promo-42", "promo-42"), ("/start@relay_bot ref_7", "ref_7"), ("/start", None)],
)
async def test_start_with_deep_link(
    client: Any, inbox: RecordingInbox, text: str, param: str | None
) -> None:
    assert (await post(client, message_update(8, text=text))).status == 200
    [message] = inbox.messages
    assert message.kind == "start"
    assert message.start_param == param


async def test_photo_keeps_the_largest_size_as_a_reference(
    client: Any, inbox: RecordingInbox
) -> None:
    photo = [
        {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "b", "width": 1280, "height": 960},
    ]
    await post(client, message_update(9, photo=photo, caption="broken on arrival"))
    [message] = inbox.messages
    assert message.kind == "media"
    assert message.text == "broken on arrival"
    assert [(m.kind, m.file_id) for m in message.media] == [("image", "large")]


async def test_document_and_voice(client: Any, inbox: RecordingInbox) -> None:
    document = {
        "file_id": "doc1",
        "file_unique_id": "d",
        "file_name": "invoice.pdf",
        "mime_type": "application/pdf",
    }
    voice = {"file_id": "voice1", "file_unique_id": "v", "duration": 3, "mime_type": "audio/ogg"}
    await post(client, message_update(10, document=document))
    await post(client, message_update(11, voice=voice))
    doc, note = inbox.messages
    assert doc.media[0].model_dump(exclude_none=True) == {
        "kind": "document",
        "file_id": "doc1",
        "content_type": "application/pdf",
        "filename": "invoice.pdf",
    }
    assert (note.kind, note.media[0].kind, note.media[0].file_id) == ("media", "voice", "voice1")


async def test_location(client: Any, inbox: RecordingInbox) -> None:
    await post(client, message_update(12, location={"latitude": 52.52, "longitude": 13.405}))
    [message] = inbox.messages
    assert message.kind == "location"
    assert message.location is not None
    assert (message.location.latitude, message.location.longitude) == (52.52, 13.405)


async def test_own_contact_gives_the_sender_phone(client: Any, inbox: RecordingInbox) -> None:
    contact = {"phone_number": "+4915112345678", "first_name": "Ada", "user_id": 42}
    await post(client, message_update(13, contact=contact))
    [message] = inbox.messages
    assert message.kind == "contact"
    assert message.text == "+4915112345678"
    assert message.sender.phone == "+4915112345678"
    assert message.metadata["contact"]["own"] is True


async def test_someone_elses_contact_is_not_the_sender_phone(
    client: Any, inbox: RecordingInbox
) -> None:
    contact = {"phone_number": "+15550001", "first_name": "Bob", "user_id": 99}
    await post(client, message_update(14, contact=contact))
    [message] = inbox.messages
    assert message.sender.phone is None
    assert message.metadata["contact"]["own"] is False


async def test_button_press_is_received_then_answered(
    client: Any, inbox: RecordingInbox, telegram_fake: TelegramFake
) -> None:
    update = callback_update(
        15, "billing", keyboard=[("Billing", "billing"), ("Shipping", "shipping")]
    )
    assert (await post(client, update)).status == 200
    [message] = inbox.messages
    assert message.kind == "button"
    assert message.payload == "billing"
    assert message.text == "Billing"
    assert message.external_message_id == "update:15"
    assert message.external_conversation_id == "42"
    assert [c["callback_query_id"] for c in telegram_fake.calls("answerCallbackQuery")] == [
        "cbq-15"
    ]


async def test_failed_callback_answer_still_acknowledges(
    client: Any, inbox: RecordingInbox, telegram_fake: TelegramFake
) -> None:
    telegram_fake.fail_next(
        400, body="Bad Request: query is too old", path_contains="answerCallbackQuery"
    )
    assert (await post(client, callback_update(16, "billing"))).status == 200
    assert [m.payload for m in inbox.messages] == ["billing"]


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 20, "edited_message": message_update(20, text="x")["message"]},
        {"update_id": 21, "my_chat_member": {}},
        message_update(22, new_chat_title="renamed"),
        message_update(
            23, text="hi", from_user={"id": 5, "is_bot": True, "first_name": "OtherBot"}
        ),
    ],
    ids=["edited", "unknown-type", "service-message", "from-a-bot"],
)
async def test_unused_updates_are_acknowledged_and_ignored(
    client: Any, inbox: RecordingInbox, update: dict[str, Any]
) -> None:
    assert (await post(client, update)).status == 200
    assert inbox.messages == []


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
async def test_missing_or_wrong_secret_is_refused(
    client: Any, inbox: RecordingInbox, telegram_fake: TelegramFake, secret: str | None
) -> None:
    response = await post(client, callback_update(30, "billing"), secret=secret)
    assert response.status == 401
    assert inbox.messages == []
    assert telegram_fake.requests == []


async def test_secret_is_checked_before_the_body_is_read(
    client: Any, inbox: RecordingInbox
) -> None:
    response = await client.post(
        PATH, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 401
    response = await client.post(PATH, data=b"{not json", headers=signed_headers(SECRET))
    assert response.status == 400
    response = await client.post(PATH, data=b"[1, 2]", headers=signed_headers(SECRET))
    assert response.status == 400
    assert inbox.messages == []


async def test_inbox_failure_answers_500_so_telegram_redelivers(
    client: Any, inbox: RecordingInbox, telegram_fake: TelegramFake
) -> None:
    inbox.fail_with = RuntimeError("database is down")
    assert (await post(client, callback_update(31, "billing"))).status == 500
    assert telegram_fake.calls("answerCallbackQuery") == []
    inbox.fail_with = None
    assert (await post(client, callback_update(31, "billing"))).status == 200
    assert [m.external_message_id for m in inbox.messages] == ["update:31"]


async def test_an_update_python_telegram_bot_cannot_read_is_kept_aside(
    client: Any, inbox: RecordingInbox
) -> None:
    """Acknowledged (Telegram would only send it again) and set aside as unreadable."""
    update = message_update(9, text="hi")
    del update["message"]["text"]
    update["message"]["photo"] = "not a list of sizes"
    response = await post(client, update)
    assert response.status == 200
    assert inbox.messages == []
    [reason] = inbox.unreadable
    assert reason.startswith("update:9: TypeError")
