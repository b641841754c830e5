"""Visitor tokens (signed by the server) and user identity hashes (signed by the site)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
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


def user_visitor_id(user_id: str) -> str:
    """The stable visitor id of a verified site user: one conversation per user."""
    return "u_" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs and checks visitor tokens: ``base64(payload).base64(hmac_sha256)``."""

    def __init__(self, secret: str, max_age: timedelta) -> None:
        self._key = hashlib.sha256(b"relaybot-widget-token:" + secret.encode()).digest()
        self._max_age = max_age

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

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
