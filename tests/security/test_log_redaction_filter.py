"""The redaction filter on the root handlers and the gate on message bodies, one record at a time."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from bot.core.config import Settings
from bot.core.log_redaction import REDACTED
from bot.domain.secret_key import resolve_secret_key
from bot.storage.db import Database
from tests.conftest import make_settings
from tests.security.log_capture import add_stream, capture, logging_restored

TOKEN = "123456:AAH-bot_token"
PASSWORD = "p@ss word/+="
MESSAGE_ONLY = "%(message)s"


def settings(**overrides: object) -> Settings:
    return make_settings(
        "sqlite+aiosqlite:///unused.db",
        TELEGRAM_BOT_TOKEN=TOKEN,
        SMTP_PASSWORD=PASSWORD,
        RELAYBOT_LOG_LEVEL="DEBUG",
        **overrides,
    )


@pytest.fixture
def streams() -> Iterator[list[io.StringIO]]:
    """Two root handlers (a console and a file, say), then logging set up as ``relaybot`` does."""
    with logging_restored():
        other = add_stream(MESSAGE_ONLY)
        yield [capture(settings(), MESSAGE_ONLY), other]


def test_a_library_loggers_arguments_are_redacted_on_every_handler(
    streams: list[io.StringIO],
) -> None:
    logging.getLogger("some.library").warning("connecting with %s and %r", TOKEN, PASSWORD)
    for stream in streams:
        assert stream.getvalue() == f"connecting with {REDACTED} and '{REDACTED}'\n"


def test_url_encoded_forms_are_redacted(streams: list[io.StringIO]) -> None:
    forms = [quote(TOKEN, safe=""), quote(PASSWORD), quote(PASSWORD, safe=""), quote_plus(PASSWORD)]
    assert len(set(forms)) == 4
    logging.getLogger("aiohttp.client").info("GET /x?token=%s&t=%s&p=%s&q=%s", *forms)
    for stream in streams:
        assert (
            stream.getvalue() == f"GET /x?token={REDACTED}&t={REDACTED}&p={REDACTED}&q={REDACTED}\n"
        )


def test_any_bot_token_in_a_bot_api_url_is_redacted(streams: list[io.StringIO]) -> None:
    logging.getLogger("x").info("POST https://api.telegram.org/bot999:Other-Token_1/getMe")
    logging.getLogger("x").info("POST /bot999%3AOther-Token_1/getMe")
    expected = f"POST https://api.telegram.org/bot{REDACTED}/getMe\nPOST /bot{REDACTED}/getMe\n"
    assert streams[0].getvalue() == expected


def test_a_traceback_is_redacted(streams: list[io.StringIO]) -> None:
    try:
        raise ValueError(f"login refused for password {PASSWORD}")
    except ValueError:
        logging.getLogger("smtp.thing").exception("sending failed")
    written = streams[0].getvalue()
    assert "ValueError: login refused for password " + REDACTED in written
    assert PASSWORD not in written and PASSWORD not in streams[1].getvalue()


def test_an_unformattable_record_is_redacted_too(streams: list[io.StringIO]) -> None:
    logging.getLogger("x").info("%d items", TOKEN)
    assert TOKEN not in streams[0].getvalue() and REDACTED in streams[0].getvalue()


@pytest.mark.parametrize(("wanted", "logged"), [("false", False), ("true", True)])
def test_message_bodies_at_debug_only_when_asked_for(wanted: str, logged: bool) -> None:
    with logging_restored():
        stream = capture(settings(RELAYBOT_LOG_MESSAGE_TEXT=wanted))
        for name in (
            "telegram.Bot",
            "slack_sdk.web.async_base_client",
            "slack_bolt.IgnoringSelfEvents",
            "integrations.slack.bolt",
        ):
            logging.getLogger(name).debug("body: %s", "hello from a customer")
            logging.getLogger(name).warning("%s failed", name)
        logging.getLogger("bot.pipeline.outbox").debug("claimed 3 items")
    written = stream.getvalue()
    assert ("hello from a customer" in written) is logged
    assert written.count("failed") == 4 and "claimed 3 items" in written


async def test_a_secret_key_generated_at_start_up_is_redacted_too(
    streams: list[io.StringIO], sqlite_url: str
) -> None:
    db = Database(make_settings(sqlite_url))
    try:
        key = await resolve_secret_key(make_settings(sqlite_url), db)
    finally:
        await db.close()
    assert key.source.startswith("the database")
    logging.getLogger("some.library").warning("signing with %s", key.value)
    for stream in streams:
        assert key.value not in stream.getvalue()
        assert f"signing with {REDACTED}" in stream.getvalue()


def test_a_short_secret_is_redacted_where_it_stands_alone_not_inside_words() -> None:
    with logging_restored():
        stream = capture(settings(TELEGRAM_WEBHOOK_SECRET="s"), MESSAGE_ONLY)
        logging.getLogger("some.library").warning("messages sent with secret=%s", "s")
    assert stream.getvalue() == f"messages sent with secret={REDACTED}\n"
