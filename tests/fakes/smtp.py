"""A real local SMTP server (aiosmtpd) on 127.0.0.1, port 0, in the test's event loop.

It records every accepted message. Recipients whose local part starts with
``bounce`` are refused with 550, ``later`` with 450; ``fail_next_data(code)`` makes the
next DATA answer ``code``. With ``username``/``password`` set it offers AUTH.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, server: FakeSMTP) -> None:
        self.server = server

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user"
        if local.startswith("later"):
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.data_failures:
            return self.server.data_failures.pop(0)
        content = envelope.original_content or b""
        self.server.messages.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), content)
        )
        return "250 Message accepted"


class FakeSMTP:
    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.username = username
        self.password = password
        self.messages: list[Received] = []
        self.logins: list[str] = []
        self.data_failures: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    def fail_next_data(self, code: int, text: str = "Scripted failure") -> None:
        self.data_failures.append(f"{code} {text}")

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        ok = login == self.username and password == self.password
        if ok:
            self.logins.append(login)
        return AuthResult(success=ok, handled=False)

    def _protocol(self) -> SMTP:
        return SMTP(
            _Handler(self),
            hostname="fake-smtp.local",
            authenticator=self._authenticate if self.username else None,
            auth_require_tls=False,
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> FakeSMTP:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeSMTP:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
