"""Password hashing and the signed session cookie, without a database."""

from __future__ import annotations

import pytest

from bot.core.errors import ValidationFailed
from bot.domain import passwords
from bot.domain.console_sessions import (
    csrf_token,
    sign,
    sign_in_token,
    sign_in_token_matches,
    unsign,
)

KEY = "a-secret-key-for-tests"


def test_a_hash_verifies_its_password_only() -> None:
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "correct horse battery!")
    assert not passwords.verify(hashed, "")
    assert passwords.hash_password("correct horse battery") != hashed  # salted


def test_no_hash_and_a_broken_hash_verify_nothing() -> None:
    assert not passwords.verify(None, "relaybot-dummy-password")
    assert not passwords.verify("not-a-hash", "anything at all")


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_too_short_or_too_long_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        passwords.hash_password(password)
    assert caught.value.field == "password"


def test_a_weaker_hash_is_marked_for_rehashing() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=64).hash("correct horse battery")
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))


def test_a_signed_cookie_gives_back_its_token() -> None:
    cookie = sign(KEY, "the-token")
    assert unsign(KEY, cookie) == "the-token"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: "other-token" + c[c.index(".") :],  # another token, the old signature
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature changed
        lambda c: c.split(".")[0],  # no signature
        lambda c: "." + c.split(".")[1],  # no token
        lambda c: c + "x" * 200,  # too long
    ],
)
def test_a_tampered_cookie_is_refused(tamper: object) -> None:
    cookie = sign(KEY, "the-token")
    assert callable(tamper)
    assert unsign(KEY, tamper(cookie)) is None


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    assert unsign(KEY, sign("another-key", "the-token")) is None


def test_csrf_tokens_differ_per_session_and_key() -> None:
    assert csrf_token(KEY, "a") != csrf_token(KEY, "b")
    assert csrf_token(KEY, "a") != csrf_token("other", "a")
    assert csrf_token(KEY, "a") != unsign(KEY, sign(KEY, "a"))


def test_the_sign_in_token_is_bound_to_the_browser_nonce() -> None:
    token = sign_in_token(KEY, "nonce-1")
    assert sign_in_token_matches(KEY, "nonce-1", token)
    assert not sign_in_token_matches(KEY, "nonce-2", token)
    assert not sign_in_token_matches(KEY, None, token)
    assert not sign_in_token_matches(KEY, "nonce-1", None)
