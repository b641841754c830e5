"""Visitor tokens (signed by the server) and user identity hashes (signed by the site)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.widget.errors import IdentityRefused, InvalidToken


@dataclass(frozen=True)
class VisitorToken:
    """Who a browser is: a visitor id, optionally a verified site user, and when it was issued."""

    visitor_id: str
    issued_at: datetime
    user_id: str | None = None


def new_visitor_id() -> str:
    return "v_" + secrets.token_urlsafe(16)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Keys:
    """What one secret key gives the widget: a token-signing key and a user-id key."""

    secret: str
    token: bytes
    user: bytes

    @classmethod
    def of(cls, secret: str) -> _Keys:
        def derive(label: bytes) -> bytes:
            return hashlib.sha256(label + secret.encode()).digest()

        return cls(secret, derive(b"relaybot-widget-token:"), derive(b"relaybot-widget-user:"))


class TokenSigner:
    """Signs and checks visitor tokens: ``base64(payload).base64(hmac_sha256)``.

    ``secret`` is the deployment's secret key, or a function that returns it once known
    (the app resolves it at start-up, after the widget is built).
    """

    def __init__(self, secret: str | Callable[[], str], max_age: timedelta) -> None:
        self._secret = secret
        self._max_age = max_age
        self._cached: _Keys | None = None

    def _keys(self) -> _Keys:
        secret = self._secret() if callable(self._secret) else self._secret
        if self._cached is None or self._cached.secret != secret:
            self._cached = _Keys.of(secret)
        return self._cached

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._keys().token, body.encode(), hashlib.sha256).digest())

    def user_visitor_id(self, user_id: str) -> str:
        """The stable visitor id of a verified site user: one conversation per user.

        Keyed with the secret, so knowing a user id is not enough to name their conversation.
        """
        digest = hmac.new(self._keys().user, user_id.encode(), hashlib.sha256).hexdigest()
        return "u_" + digest[:32]

    def sign(self, token: VisitorToken) -> str:
        payload: dict[str, object] = {"v": token.visitor_id, "t": int(token.issued_at.timestamp())}
        if token.user_id is not None:
            payload["u"] = token.user_id
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, raw: str, now: datetime) -> VisitorToken:
        """The token's content, or :class:`InvalidToken` when forged, malformed or expired."""
        body, _, mac = raw.partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidToken
        try:
            payload = json.loads(_unb64(body))
            visitor_id = str(payload["v"])
            issued_at = datetime.fromtimestamp(int(payload["t"]), tz=now.tzinfo)
            user_id = payload.get("u")
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidToken from exc
        if issued_at > now + timedelta(minutes=5) or now - issued_at > self._max_age:
            raise InvalidToken("The visitor token has expired.")
        return VisitorToken(visitor_id, issued_at, None if user_id is None else str(user_id))


def identity_hash(user_id: str, secret: str) -> str:
    """What the site computes on its server: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(user_id: str, user_hash: str, secret: str) -> None:
    """Raise :class:`IdentityRefused` unless ``user_hash`` signs ``user_id``."""
    if not hmac.compare_digest(identity_hash(user_id, secret), user_hash.strip().lower()):
        raise IdentityRefused
