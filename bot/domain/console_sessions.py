"""Console sessions: a random token in a signed cookie, stored (as its SHA-256) so it can
be revoked; the CSRF token of a session is derived from it with the secret key.

The cookie's value is ``token.signature``: the HMAC-SHA256 of the token under the
deployment's secret key. A tampered cookie fails the signature and is never looked up; a
cookie whose session expired, was revoked, or whose account was disabled signs nobody in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.domain import audit
from bot.domain.accounts import Account, account_of
from bot.domain.audit import Actor
from bot.storage.app import account_records
from bot.storage.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class Principal:
    """The signed-in account of a request, with its session's CSRF token."""

    account: Account
    session_hash: str
    csrf_token: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(key: str, purpose: str, value: str) -> str:
    return _b64(hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(key: str, token: str) -> str:
    """The cookie value for ``token``."""
    return f"{token}.{_mac(key, 'console-session', token)}"


def unsign(key: str, value: str) -> str | None:
    """The token of a cookie value whose signature holds; None otherwise."""
    token, dot, signature = value.rpartition(".")
    if not dot or not token or len(value) > 200:
        return None
    expected = _mac(key, "console-session", token)
    return token if hmac.compare_digest(signature.encode(), expected.encode()) else None


def csrf_token(key: str, token: str) -> str:
    """The session's CSRF token: only someone who can read our pages learns it."""
    return _mac(key, "console-csrf", token)


def sign_in_token(key: str, nonce: str) -> str:
    """The sign-in form's CSRF token, bound to the browser's pre-session cookie ``nonce``."""
    return _mac(key, "console-sign-in", nonce)


def sign_in_token_matches(key: str, nonce: str | None, given: str | None) -> bool:
    if not nonce or not given:
        return False
    return hmac.compare_digest(given.encode(), sign_in_token(key, nonce).encode())


def csrf_matches(principal: Principal, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), principal.csrf_token.encode())


async def open_session(
    tx: Tx, key: str, account: Account, lifetime: timedelta, address: str | None
) -> str:
    """Start a session for ``account``; the signed cookie value."""
    token = secrets.token_urlsafe(32)
    await account_records.add_session(
        tx,
        token_hash=token_hash(token),
        account_id=account.id,
        expires_at=tx.now + lifetime,
        client_address=address,
    )
    return sign(key, token)


async def principal(uow: UnitOfWork, key: str, cookie: str | None) -> Principal | None:
    """Who the cookie signs in: None when it is missing, tampered with, expired, revoked,
    or its account is disabled."""
    token = unsign(key, cookie) if cookie else None
    if token is None:
        return None
    found = await account_records.session_with_account(uow.db, token_hash(token))
    now = uow.clock.now()
    if found is None:
        return None
    session, row = found
    if session.revoked_at is not None or session.expires_at <= now or row.disabled:
        return None
    return Principal(account_of(row), session.token_hash, csrf_token(key, token))


async def sign_out(uow: UnitOfWork, who: Principal, actor: Actor) -> None:
    """Revoke the session; audited as ``sign_out``."""
    async with uow() as tx:
        if await account_records.revoke_session(tx, who.session_hash):
            await audit.record(tx, actor, audit.SIGN_OUT, who.account.email)
