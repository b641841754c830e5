"""Signing in to the console, rate-limited per account and per client address.

Failures are audit lines (``sign_in.failed``), so the limit holds across processes and
restarts: an account with ``per_account`` failures since its last success within the
window, or an address with ``per_address`` failures within it, is locked until the
oldest of them leaves the window. A refused attempt is recorded as ``sign_in.locked``
and does not extend the lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.domain import audit, passwords
from bot.domain.accounts import Account, account_of
from bot.domain.audit import Actor
from bot.domain.console_sessions import open_session
from bot.storage.app import account_records, audit_records
from bot.storage.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class SignInLimits:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInResult:
    outcome: Literal["ok", "failed", "locked"]
    cookie: str | None = None
    account: Account | None = None
    retry_after_s: int | None = None


async def _locked_until(
    tx: Tx, email: str, address: str | None, limits: SignInLimits
) -> datetime | None:
    start = tx.now - limits.window
    last_ok = await audit_records.latest_time(tx, audit.SIGN_IN_OK, email)
    since = max(start, last_ok) if last_ok is not None and last_ok > start else start
    times = await audit_records.recent_times(tx, audit.SIGN_IN_FAILED, since, target=email)
    until: datetime | None = None
    if len(times) >= limits.per_account:
        until = times[-limits.per_account] + limits.window
    if address is not None:
        by_address = await audit_records.recent_times(
            tx, audit.SIGN_IN_FAILED, start, client_address=address
        )
        if len(by_address) >= limits.per_address:
            candidate = by_address[-limits.per_address] + limits.window
            until = candidate if until is None else max(until, candidate)
    return until


DEMO_DOMAIN = "@demo.relaybot.invalid"
"""The e-mail domain of the demo's accounts."""


def is_demo_account(email: str) -> bool:
    return email.endswith(DEMO_DOMAIN)


async def sign_in(
    uow: UnitOfWork,
    key: str,
    email: str,
    password: str,
    address: str | None,
    *,
    lifetime: timedelta,
    limits: SignInLimits = SignInLimits(),
    demo_mode: bool = False,
) -> SignInResult:
    """Check the password and open a session; every attempt is audited. The demo's
    accounts (known password) sign in only in demo mode."""
    given = email.strip().lower()[:320]
    actor = Actor.account(given or "(empty)", "console", address)
    async with uow() as tx:
        until = await _locked_until(tx, given, address, limits)
        if until is not None:
            await audit.record(tx, actor, audit.SIGN_IN_LOCKED, given)
            wait = max(1, math.ceil((until - tx.now).total_seconds()))
            return SignInResult("locked", retry_after_s=wait)
        row = await account_records.by_email(tx, given) if given else None
    # The hash is checked outside the transaction: it takes a while and needs no rows.
    matches = passwords.verify(None if row is None else row.password_hash, password)
    async with uow() as tx:
        demo_refused = row is not None and is_demo_account(row.email) and not demo_mode
        if row is None or not matches or row.disabled or demo_refused:
            reason = (
                "unknown account"
                if row is None
                else "wrong password"
                if not matches
                else "demo account outside demo mode"
                if demo_refused
                else "disabled"
            )
            await audit.record(tx, actor, audit.SIGN_IN_FAILED, given, {"reason": reason})
            return SignInResult("failed")
        if passwords.needs_rehash(row.password_hash):
            await account_records.set_password_hash(tx, row.id, passwords.rehash(password))
        account = account_of(row)
        await account_records.prune_sessions(tx, row.id)
        cookie = await open_session(tx, key, account, lifetime, address)
        await audit.record(tx, actor, audit.SIGN_IN_OK, given)
    return SignInResult("ok", cookie=cookie, account=account)
