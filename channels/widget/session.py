"""Who is on the other end: a signed visitor token, optionally a verified site user."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.messages import SenderProfile
from channels.widget.errors import InvalidToken
from channels.widget.protocol import Hello
from channels.widget.tokens import (
    TokenSigner,
    VisitorToken,
    new_visitor_id,
    verify_identity,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisitorSession:
    """An authenticated visitor; ``visitor_id`` is the external conversation id."""

    visitor_id: str
    user_id: str | None = None
    name: str | None = None
    email: str | None = None

    def profile(self) -> SenderProfile:
        return SenderProfile(
            external_id=self.user_id or self.visitor_id, name=self.name, email=self.email
        )


class SessionIssuer:
    """Opens sessions from a hello and recognises them from a bearer token."""

    def __init__(self, signer: TokenSigner, clock: Clock, identity_secret: str | None) -> None:
        self._signer = signer
        self._clock = clock
        self._identity_secret = identity_secret

    def open(self, hello: Hello) -> tuple[VisitorSession, str]:
        """The session and a freshly signed token (sliding expiry).

        A token that is present must be genuine, even when a user identity is given too.
        A verified user identity decides the conversation: one per site user.
        """
        now = self._clock.now()
        token = self._signer.verify(hello.token, now) if hello.token else None
        session = self._identified(hello)
        if session is None and token is not None:
            session = VisitorSession(token.visitor_id, token.user_id)
        if session is None:
            session = VisitorSession(new_visitor_id())
        signed = self._signer.sign(VisitorToken(session.visitor_id, now, session.user_id))
        return session, signed

    def _identified(self, hello: Hello) -> VisitorSession | None:
        user = hello.user
        if user is None:
            return None
        if self._identity_secret is None:
            logger.warning("widget user identity ignored: RELAYBOT_WIDGET_IDENTITY_SECRET is unset")
            return None
        verify_identity(user.id, user.hash, self._identity_secret)
        return VisitorSession(self._signer.user_visitor_id(user.id), user.id, user.name, user.email)

    def from_bearer(self, authorization: str | None) -> VisitorSession:
        """The session behind an ``Authorization: Bearer <token>`` header."""
        scheme, _, raw = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise InvalidToken("A visitor token is required.")
        token = self._signer.verify(raw.strip(), self._clock.now())
        return VisitorSession(token.visitor_id, token.user_id)
