"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.core.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 1024
"""Longer passwords are refused rather than hashed (hashing cost grows with length)."""

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("relaybot-dummy-password")
"""Verified against when there is no account, so an unknown e-mail takes as long."""


def check_strength(password: str) -> None:
    """Refuse passwords too short or too long to hash."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed("password", f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed("password", f"must be at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A fresh hash of a password that just verified (no strength rules: it is in use)."""
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, spend the same time and say no."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
