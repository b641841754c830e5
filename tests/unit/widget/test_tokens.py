from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from channels.widget.errors import IdentityRefused, InvalidToken
from channels.widget.tokens import TokenSigner, VisitorToken, identity_hash, verify_identity

AGE = timedelta(days=30)


def test_a_signed_token_round_trips() -> None:
    now = FakeClock().now()
    signer = TokenSigner("key", AGE)
    token = signer.verify(signer.sign(VisitorToken("v_abc", now, "42")), now)
    assert token == VisitorToken("v_abc", now, "42")


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: "x" + t,
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t.split(".")[0],
        lambda t: "",
        lambda t: "not-a-token",
    ],
)
def test_a_tampered_token_is_refused(forge: object) -> None:
    now = FakeClock().now()
    signer = TokenSigner("key", AGE)
    raw = signer.sign(VisitorToken("v_abc", now))
    with pytest.raises(InvalidToken):
        signer.verify(forge(raw), now)  # type: ignore[operator]


def test_a_token_for_another_visitor_cannot_be_made_without_the_key() -> None:
    now = FakeClock().now()
    forged = TokenSigner("attacker-guess", AGE).sign(VisitorToken("v_victim", now))
    with pytest.raises(InvalidToken):
        TokenSigner("key", AGE).verify(forged, now)


def test_an_old_token_expires() -> None:
    clock = FakeClock()
    signer = TokenSigner("key", AGE)
    raw = signer.sign(VisitorToken("v_abc", clock.now()))
    clock.advance(AGE + timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        signer.verify(raw, clock.now())


def test_identity_hash_is_hmac_sha256_hex() -> None:
    # Same as: echo -n 42 | openssl dgst -sha256 -hmac secret
    assert identity_hash("42", "secret") == (
        "93c121e7aa437a1e01e3c512c6f0ce3c821a839025dca4408f85616de4aaee70"
    )
    verify_identity("42", identity_hash("42", "secret").upper(), "secret")
    with pytest.raises(IdentityRefused):
        verify_identity("43", identity_hash("42", "secret"), "secret")
