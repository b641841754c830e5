"""Webhook signatures: what the sender signs, a receiver can verify."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from integrations.webhook import encode_body, parse_retry_after, sign, verify_signature

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    body = encode_body({"lead": "42", "name": "Zoë"})
    header = sign("s3cret", T, body)
    expected = hmac.new(b"s3cret", f"{T}.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={expected}"


def test_verify_accepts_fresh_valid_signature() -> None:
    body = b'{"a":1}'
    assert verify_signature("s3cret", sign("s3cret", T, body), body, NOW + timedelta(seconds=30))


def test_verify_rejects_tampering_wrong_secret_and_stale() -> None:
    body = b'{"a":1}'
    header = sign("s3cret", T, body)
    assert not verify_signature("s3cret", header, b'{"a":2}', NOW)
    assert not verify_signature("other", header, body, NOW)
    assert not verify_signature("s3cret", header, body, NOW + timedelta(minutes=6))
    assert not verify_signature("s3cret", "garbage", body, NOW)
    assert not verify_signature("s3cret", "t=abc,v1=00", body, NOW)


def test_verify_accepts_any_of_several_v1_values() -> None:
    body = b"{}"
    good = sign("new", T, body).split("v1=")[1]
    assert verify_signature("new", f"t={T},v1=deadbeef,v1={good}", body, NOW)


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after("Mon, 05 Jan 2026 09:00:30 GMT", NOW) == 30.0
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None
