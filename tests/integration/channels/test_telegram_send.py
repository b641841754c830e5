"""TelegramChannel.send with the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.errors import (
    BadRequestError,
    ConfigError,
    ForbiddenError,
    RateLimitedError,
    RetryableDeliveryError,
    UnavailableError,
)
from bot.core.messages import OutboundMessage
from channels.telegram import TelegramChannel, set_webhook
from tests.fakes.telegram import TelegramFake
from tests.integration.channels.conftest import RecordingInbox, make_settings, telegram_channel
from workflows.message_parts import Choice


def settings_for(fake: TelegramFake, **extra: Any) -> Any:
    return make_settings(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        TELEGRAM_API_BASE_URL=fake.base_url,
        **extra,
    )


@pytest.fixture
async def channel(
    http: Any, clock: FakeClock, inbox: RecordingInbox, telegram_fake: TelegramFake
) -> Any:
    channel = telegram_channel(settings_for(telegram_fake), http, clock, inbox)
    yield channel
    await channel.close()


def out(text: str = "Hello", **fields: Any) -> OutboundMessage:
    return OutboundMessage(channel="telegram", external_conversation_id="42", text=text, **fields)


async def test_is_a_channel(channel: TelegramChannel) -> None:
    assert isinstance(channel, Channel)
    assert channel.name == "telegram"


async def test_text_message(channel: TelegramChannel, telegram_fake: TelegramFake) -> None:
    result = await channel.send(out("Hi Ada"))
    [call] = telegram_fake.calls("sendMessage")
    assert call["chat_id"] == "42"
    assert call["text"] == "Hi Ada"
    assert "reply_markup" not in call
    assert result.external_message_ids == ["1000"]
    assert result.status == "sent"


async def test_bot_is_initialized_once(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    await channel.send(out())
    await channel.send(out())
    assert len(telegram_fake.calls("getMe")) == 1


async def test_choices_become_an_inline_keyboard(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    long_value = "x" * 65
    choices = [Choice(label="Billing", value="billing"), Choice(label="Other", value=long_value)]
    await channel.send(out("What is it about?", choices=choices))
    [call] = telegram_fake.calls("sendMessage")
    assert call["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Billing", "callback_data": "billing"}],
            [{"text": "Other", "callback_data": "2"}],
        ]
    }


async def test_long_text_is_split_on_words_and_keyboard_goes_last(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    text = " ".join(f"word{i:04d}" for i in range(1000))  # 8,999 characters
    result = await channel.send(out(text, choices=[Choice(label="OK", value="ok")]))
    calls = telegram_fake.calls("sendMessage")
    assert len(calls) == 3
    assert all(len(c["text"]) <= 4096 for c in calls)
    assert " ".join(c["text"] for c in calls) == text
    assert ["reply_markup" in c for c in calls] == [False, False, True]
    assert len(result.external_message_ids) == 3


async def test_photo_with_caption_and_keyboard(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    await channel.send(
        out(
            "Your label",
            media_url="https://cdn.example.com/l.png",
            choices=[Choice(label="OK", value="ok")],
        )
    )
    [call] = telegram_fake.calls("sendPhoto")
    assert call["photo"] == "https://cdn.example.com/l.png"
    assert call["caption"] == "Your label"
    assert call["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok"
    assert telegram_fake.calls("sendMessage") == []


async def test_document_with_a_long_text_sends_the_text_after(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    await channel.send(out("y " * 700, media_url="https://cdn.example.com/invoice.pdf"))
    [doc] = telegram_fake.calls("sendDocument")
    assert "caption" not in doc
    assert len(telegram_fake.calls("sendMessage")) == 1


async def test_empty_message_is_a_bad_request(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    with pytest.raises(BadRequestError):
        await channel.send(out(""))
    assert telegram_fake.calls("sendMessage") == []


async def test_429_is_rate_limited_with_retry_after(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    telegram_fake.fail_next(429, headers={"Retry-After": "7"}, path_contains="sendMessage")
    with pytest.raises(RateLimitedError) as caught:
        await channel.send(out())
    assert caught.value.retry_after == 7
    assert isinstance(caught.value, RetryableDeliveryError)
    await channel.send(out())  # the next attempt goes through
    assert len(telegram_fake.calls("sendMessage")) == 2


async def test_blocked_customer_is_forbidden_and_unreachable(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    telegram_fake.fail_next(403, path_contains="sendMessage")
    with pytest.raises(ForbiddenError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is True
    assert "blocked" in caught.value.reason


async def test_bad_request(channel: TelegramChannel, telegram_fake: TelegramFake) -> None:
    telegram_fake.fail_next(400, path_contains="sendMessage")
    with pytest.raises(BadRequestError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is False


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_unavailable(
    channel: TelegramChannel, telegram_fake: TelegramFake, status: int
) -> None:
    telegram_fake.fail_next(status, path_contains="sendMessage")
    with pytest.raises(UnavailableError):
        await channel.send(out())


async def test_unreachable_api_is_unavailable(
    http: Any, clock: FakeClock, inbox: RecordingInbox
) -> None:
    fake = TelegramFake()
    await fake.start()
    settings = settings_for(fake)
    await fake.stop()  # nothing listens there any more
    channel = telegram_channel(settings, http, clock, inbox)
    with pytest.raises(UnavailableError) as caught:
        await channel.send(out())
    assert fake.token not in caught.value.reason


async def test_an_answer_without_a_message_id_is_a_final_failure(
    channel: TelegramChannel, telegram_fake: TelegramFake
) -> None:
    # Telegram may have shown the message: sending it again could double it
    telegram_fake.fail_next(200, body={"ok": True, "result": True}, path_contains="sendMessage")
    with pytest.raises(BadRequestError) as caught:
        await channel.send(out())
    assert "without a message id" in caught.value.reason


async def test_rejected_token_is_forbidden_but_not_the_customers_fault(
    http: Any, clock: FakeClock, inbox: RecordingInbox, telegram_fake: TelegramFake
) -> None:
    settings = make_settings(
        TELEGRAM_BOT_TOKEN="999:wrong",
        TELEGRAM_WEBHOOK_SECRET="s3cret",
        TELEGRAM_API_BASE_URL=telegram_fake.base_url,
    )
    channel = telegram_channel(settings, http, clock, inbox)
    with pytest.raises(ForbiddenError) as caught:
        await channel.send(out())
    assert caught.value.recipient_unreachable is False
    assert "999:wrong" not in caught.value.reason


async def test_no_freeform_window_on_telegram(channel: TelegramChannel, clock: FakeClock) -> None:
    assert channel.can_send_freeform(None, clock.now())


async def test_set_webhook_registers_url_secret_and_update_types(
    http: Any, telegram_fake: TelegramFake
) -> None:
    settings = settings_for(telegram_fake, RELAYBOT_PUBLIC_URL="https://bot.example.com/")
    url = await set_webhook(settings, http)
    assert url == "https://bot.example.com/webhooks/telegram"
    [call] = telegram_fake.calls("setWebhook")
    assert call["url"] == url
    assert call["secret_token"] == "s3cret"
    assert call["allowed_updates"] == ["message", "callback_query"]


async def test_set_webhook_refuses_a_secret_telegram_would_reject(
    telegram_fake: TelegramFake,
) -> None:
    settings = make_settings(
        TELEGRAM_BOT_TOKEN=telegram_fake.token,
        TELEGRAM_WEBHOOK_SECRET="has spaces",
        TELEGRAM_API_BASE_URL=telegram_fake.base_url,
        RELAYBOT_PUBLIC_URL="https://bot.example.com",
    )
    with pytest.raises(ConfigError, match="A-Z"):
        await set_webhook(settings)
    assert telegram_fake.calls("setWebhook") == []


async def test_set_webhook_refuses_a_plain_http_url(telegram_fake: TelegramFake) -> None:
    settings = settings_for(telegram_fake, RELAYBOT_PUBLIC_URL="http://bot.example.com")
    with pytest.raises(ConfigError, match="https"):
        await set_webhook(settings)
    assert telegram_fake.calls("setWebhook") == []
