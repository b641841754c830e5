"""E-mail over SMTP against a real local aiosmtpd server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.core.config import Settings
from bot.core.errors import (
    BadRequestError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    UnavailableError,
)
from integrations.email import EmailSender
from tests.fakes.smtp import FakeSMTP

PASSWORD = "smtp-pass-SECRET"


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSMTP]:
    async with FakeSMTP(username="relay", password=PASSWORD) as server:
        yield server


@pytest.fixture
def sender(smtp: FakeSMTP, make_settings: Callable[..., Settings]) -> Callable[..., EmailSender]:
    def make(timeout: float = 5.0, **values: Any) -> EmailSender:
        base: dict[str, Any] = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMTP_USERNAME": "relay",
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_FROM": "Relaybot <bot@example.com>",
            "SMTP_STARTTLS": False,
        }
        return EmailSender(make_settings(**{**base, **values}), timeout_s=timeout)

    return make


async def test_sends_text_and_html_with_login(
    smtp: FakeSMTP, sender: Callable[..., EmailSender]
) -> None:
    report = await sender().send(
        "ana@example.com",
        "Lead qualified",
        "Lead Ana: $6000",
        "<p>Lead <b>Ana</b></p>",
        message_id="<d-1@relaybot>",
    )
    assert report.message_id == "<d-1@relaybot>"
    assert report.refused == {}
    assert smtp.logins == ["relay"]
    (got,) = smtp.messages
    assert got.rcpt_tos == ["ana@example.com"]
    assert got.mail_from == "bot@example.com"
    message = got.message
    assert message["Subject"] == "Lead qualified"
    assert message["Message-ID"] == "<d-1@relaybot>"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert text.get_content().strip() == "Lead Ana: $6000"
    assert html is not None
    assert "<b>Ana</b>" in html.get_content()


async def test_text_only_and_several_recipients(
    smtp: FakeSMTP, sender: Callable[..., EmailSender]
) -> None:
    report = await sender().send(["a@example.com", "bounce@example.com"], "Hi", "plain")
    assert report.message_id.endswith("@example.com>")
    assert list(report.refused) == ["bounce@example.com"]
    (got,) = smtp.messages
    assert got.rcpt_tos == ["a@example.com"]
    assert not got.message.is_multipart()


async def test_without_credentials_no_login(
    smtp: FakeSMTP, sender: Callable[..., EmailSender]
) -> None:
    await sender(SMTP_USERNAME=None, SMTP_PASSWORD=None).send("a@example.com", "Hi", "x")
    assert smtp.logins == []
    assert len(smtp.messages) == 1


async def test_refused_recipient_is_permanent(sender: Callable[..., EmailSender]) -> None:
    with pytest.raises(PermanentDeliveryError, match="550") as info:
        await sender().send("bounce@example.com", "Hi", "x")
    assert info.value.recipient_unreachable


async def test_busy_mailbox_is_retryable(sender: Callable[..., EmailSender]) -> None:
    with pytest.raises(RetryableDeliveryError, match="450"):
        await sender().send("later@example.com", "Hi", "x")


@pytest.mark.parametrize(
    ("code", "error"), [(451, RetryableDeliveryError), (554, PermanentDeliveryError)]
)
async def test_data_refusal(
    smtp: FakeSMTP, sender: Callable[..., EmailSender], code: int, error: type[Exception]
) -> None:
    smtp.fail_next_data(code)
    with pytest.raises(error, match=str(code)):
        await sender().send("a@example.com", "Hi", "x")


async def test_wrong_password_is_permanent_and_never_logged(
    sender: Callable[..., EmailSender], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentDeliveryError, match="535"):
        await sender(SMTP_PASSWORD="wrong-SECRET-pw").send("a@example.com", "Hi", "x")
    assert caplog.records
    assert "wrong-SECRET-pw" not in caplog.text
    assert PASSWORD not in caplog.text


async def test_successful_send_logs_no_password(
    sender: Callable[..., EmailSender], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await sender().send("a@example.com", "Hi", "x")
    assert "sent to 1 recipient" in caplog.text
    assert PASSWORD not in caplog.text


async def test_server_down_is_unavailable(make_settings: Callable[..., Settings]) -> None:
    async with FakeSMTP() as gone:
        port = gone.port
    settings = make_settings(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="bot@example.com", SMTP_STARTTLS=False
    )
    with pytest.raises(UnavailableError, match="unreachable"):
        await EmailSender(settings).send("a@example.com", "Hi", "x")


async def test_starttls_required_but_not_offered_is_permanent(
    sender: Callable[..., EmailSender],
) -> None:
    with pytest.raises(PermanentDeliveryError, match="STARTTLS"):
        await sender(SMTP_STARTTLS=True).send("a@example.com", "Hi", "x")


async def test_header_injection_is_a_bad_request(
    smtp: FakeSMTP, sender: Callable[..., EmailSender]
) -> None:
    with pytest.raises(BadRequestError):
        await sender().send("a@example.com", "Hi\r\nBcc: victim@example.com", "x")
    assert smtp.messages == []


async def test_not_configured_is_permanent(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(PermanentDeliveryError, match="not configured"):
        await EmailSender(make_settings()).send("a@example.com", "Hi", "x")


async def test_silent_server_times_out(make_settings: Callable[..., Settings]) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)  # accept, never greet

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="bot@example.com", SMTP_STARTTLS=False
    )
    try:
        with pytest.raises(UnavailableError, match="timed out"):
            await EmailSender(settings, timeout_s=0.2).send("a@example.com", "Hi", "x")
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()
