"""Accounts, sessions and sign-in on every backend: roles, agent links, revocation, expiry,
the sign-in rate limit (the clock is a FakeClock), and their audit lines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import accounts, audit
from bot.domain.audit import CLI, Actor
from bot.domain.console_sessions import principal, sign, sign_out, unsign
from bot.domain.sign_in import SignInLimits, sign_in
from bot.pipeline.services import Services
from bot.storage.models import ConsoleSession
from tests.integration.console.support import (
    KEY,
    PASSWORD,
    add_agent_record,
    admin_and_agent,
    audit_lines,
)

HOURS = timedelta(hours=12)


async def _sign_in(
    services: Services,
    email: str,
    password: str = PASSWORD,
    address: str | None = "10.0.0.1",
    limits: SignInLimits = SignInLimits(),  # noqa: B008
) -> str | None:
    result = await sign_in(
        services.uow, KEY, email, password, address, lifetime=HOURS, limits=limits
    )
    return result.cookie


async def test_an_agent_account_links_to_its_agent_record(services: Services) -> None:
    admin, agent = await admin_and_agent(services)
    assert admin.role == "admin" and admin.agent_id is None
    assert agent.role == "agent" and agent.agent_id is not None
    created = await audit_lines(services, audit.ACCOUNT_CREATED)
    assert [(x.actor, x.source, x.target, x.details["role"]) for x in created] == [
        ("cli", "cli", "adam@example.com", "admin"),
        ("cli", "cli", "ana@example.com", "agent"),
    ]


async def test_an_agent_account_needs_an_agent_record(services: Services) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await accounts.create_account(services.uow, "nobody@example.com", PASSWORD, "agent", CLI)
    assert caught.value.field == "agent"
    other = await add_agent_record(services, "someone@example.com")
    named = await accounts.create_account(
        services.uow, "nobody@example.com", PASSWORD, "agent", CLI, agent_id=other
    )
    assert named.agent_id == other
    assert await audit_lines(services, audit.ACCOUNT_CREATED) != []


async def test_an_e_mail_has_one_account_in_any_case(services: Services) -> None:
    await accounts.create_account(services.uow, "Adam@Example.com", PASSWORD, "admin", CLI)
    with pytest.raises(ValidationFailed) as caught:
        await accounts.create_account(services.uow, "adam@example.COM", PASSWORD, "admin", CLI)
    assert caught.value.field == "email"
    assert [a.email for a in await accounts.list_accounts(services.uow)] == ["adam@example.com"]


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-mail", "admin", "email"), ("a@b.co", "owner", "role"), ("a@b.co", "admin", "password")],
)
async def test_bad_account_values_name_the_field(
    services: Services, email: str, role: str, field: str
) -> None:
    password = "short" if field == "password" else PASSWORD
    with pytest.raises(ValidationFailed) as caught:
        await accounts.create_account(services.uow, email, password, role, CLI)
    assert caught.value.field == field


async def test_a_session_signs_in_until_signed_out(services: Services) -> None:
    _, agent = await admin_and_agent(services)
    cookie = await _sign_in(services, "ana@example.com")
    assert cookie is not None
    who = await principal(services.uow, KEY, cookie)
    assert who is not None and who.account.id == agent.id and who.account.role == "agent"
    await sign_out(services.uow, who, Actor.account(agent.email, "console", "10.0.0.1"))
    assert await principal(services.uow, KEY, cookie) is None
    actions = [x.action for x in await audit_lines(services)]
    assert actions[-2:] == [audit.SIGN_IN_OK, audit.SIGN_OUT]


async def test_ended_sessions_are_forgotten_at_the_next_sign_in(
    services: Services, clock: FakeClock
) -> None:
    await admin_and_agent(services)
    first = await _sign_in(services, "adam@example.com")
    who = await principal(services.uow, KEY, first)
    assert who is not None
    await sign_out(services.uow, who, CLI)
    assert await session_count(services) == 1
    second = await _sign_in(services, "adam@example.com")  # the signed-out one goes
    assert await session_count(services) == 1
    clock.advance(HOURS)
    await _sign_in(services, "ana@example.com")  # another account's expired one stays
    assert await session_count(services) == 2
    latest = await _sign_in(services, "adam@example.com")  # the expired one goes
    assert await session_count(services) == 2
    assert await principal(services.uow, KEY, second) is None
    assert await principal(services.uow, KEY, latest) is not None


async def session_count(services: Services) -> int:
    async with services.db.session() as session:
        return len(list(await session.scalars(select(ConsoleSession))))


async def test_a_tampered_cookie_signs_nobody_in(services: Services) -> None:
    await admin_and_agent(services)
    cookie = await _sign_in(services, "adam@example.com")
    assert cookie is not None
    token = unsign(KEY, cookie)
    assert token is not None
    assert (
        await principal(services.uow, KEY, cookie[:-1] + ("A" if cookie[-1] != "A" else "B"))
        is None
    )
    assert await principal(services.uow, "another-key", cookie) is None
    assert await principal(services.uow, KEY, sign(KEY, token + "x")) is None  # signed, unknown
    assert await principal(services.uow, KEY, "") is None
    assert await principal(services.uow, KEY, cookie) is not None


async def test_a_session_expires(services: Services, clock: FakeClock) -> None:
    await admin_and_agent(services)
    cookie = await _sign_in(services, "adam@example.com")
    clock.advance(HOURS - timedelta(seconds=1))
    assert await principal(services.uow, KEY, cookie) is not None
    clock.advance(timedelta(seconds=1))
    assert await principal(services.uow, KEY, cookie) is None


async def test_a_role_change_and_disabling_end_the_sessions(services: Services) -> None:
    await admin_and_agent(services)
    first = await _sign_in(services, "adam@example.com")
    await accounts.create_account(services.uow, "bea@example.com", PASSWORD, "admin", CLI)
    await accounts.set_role(
        services.uow,
        "adam@example.com",
        "agent",
        CLI,
        agent_id=await add_agent_record(services, "adam@example.com", "Adam"),
    )
    assert await principal(services.uow, KEY, first) is None
    second = await _sign_in(services, "adam@example.com")
    who = await principal(services.uow, KEY, second)
    assert who is not None and who.account.role == "agent"
    await accounts.disable(services.uow, "adam@example.com", CLI)
    assert await principal(services.uow, KEY, second) is None
    assert await _sign_in(services, "adam@example.com") is None
    changed = await audit_lines(services, audit.ACCOUNT_ROLE_CHANGED)
    assert [(x.target, x.details) for x in changed] == [
        ("adam@example.com", {"from": "admin", "to": "agent"})
    ]
    disabled = await audit_lines(services, audit.ACCOUNT_DISABLED)
    assert [(x.actor, x.target, x.details) for x in disabled] == [
        ("cli", "adam@example.com", {"sessions_ended": 1})
    ]
    failed = await audit_lines(services, audit.SIGN_IN_FAILED)
    assert failed[-1].details == {"reason": "disabled"}


async def test_a_new_password_ends_the_sessions(services: Services) -> None:
    await admin_and_agent(services)
    cookie = await _sign_in(services, "ana@example.com")
    await accounts.set_password(services.uow, "ana@example.com", "a brand new secret", CLI)
    assert await principal(services.uow, KEY, cookie) is None
    assert await _sign_in(services, "ana@example.com") is None
    assert await _sign_in(services, "ana@example.com", "a brand new secret") is not None
    [line] = await audit_lines(services, audit.ACCOUNT_PASSWORD_CHANGED)
    assert (line.actor, line.target, line.details) == (
        "cli",
        "ana@example.com",
        {"sessions_ended": 1},
    )
    assert "secret" not in str(line)
    with pytest.raises(ValidationFailed):
        await accounts.set_password(services.uow, "ana@example.com", "short", CLI)


async def test_the_last_admin_stays_an_admin(services: Services) -> None:
    await admin_and_agent(services)
    with pytest.raises(ValidationFailed):
        await accounts.disable(services.uow, "adam@example.com", CLI)
    with pytest.raises(ValidationFailed):
        await accounts.set_role(services.uow, "adam@example.com", "agent", CLI)
    with pytest.raises(NotFoundError):
        await accounts.disable(services.uow, "nobody@example.com", CLI)
    assert await audit_lines(services, audit.ACCOUNT_DISABLED) == []


async def test_failed_sign_ins_are_recorded_with_their_reason(services: Services) -> None:
    await admin_and_agent(services)
    assert await _sign_in(services, "adam@example.com", "wrong password!") is None
    assert await _sign_in(services, "ghost@example.com") is None
    failed = await audit_lines(services, audit.SIGN_IN_FAILED)
    assert [(x.target, x.source, x.client_address, x.details["reason"]) for x in failed] == [
        ("adam@example.com", "console", "10.0.0.1", "wrong password"),
        ("ghost@example.com", "console", "10.0.0.1", "unknown account"),
    ]


async def test_an_account_is_locked_after_repeated_failures(
    services: Services, clock: FakeClock
) -> None:
    await admin_and_agent(services)
    limits = SignInLimits(per_account=3, per_address=100, window=timedelta(minutes=10))
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        assert await _sign_in(services, "adam@example.com", "guess-guess", limits=limits) is None
    result = await sign_in(
        services.uow, KEY, "adam@example.com", PASSWORD, "10.0.0.2", lifetime=HOURS, limits=limits
    )
    assert result.outcome == "locked"
    assert result.retry_after_s == 8 * 60  # the first failure leaves the window in 8 minutes
    locked = await audit_lines(services, audit.SIGN_IN_LOCKED)
    assert [(x.target, x.client_address) for x in locked] == [("adam@example.com", "10.0.0.2")]
    # another account is not locked by it
    assert await _sign_in(services, "ana@example.com", limits=limits) is not None
    clock.advance(timedelta(minutes=8))
    assert await _sign_in(services, "adam@example.com", limits=limits) is not None


async def test_a_success_clears_the_account_count(services: Services, clock: FakeClock) -> None:
    await admin_and_agent(services)
    limits = SignInLimits(per_account=2, per_address=100, window=timedelta(minutes=10))
    assert await _sign_in(services, "adam@example.com", "guess-guess", limits=limits) is None
    clock.advance(timedelta(seconds=1))
    assert await _sign_in(services, "adam@example.com", limits=limits) is not None
    clock.advance(timedelta(seconds=1))
    assert await _sign_in(services, "adam@example.com", "guess-guess", limits=limits) is None
    clock.advance(timedelta(seconds=1))
    assert await _sign_in(services, "adam@example.com", limits=limits) is not None


async def test_an_address_is_locked_across_accounts(services: Services, clock: FakeClock) -> None:
    await admin_and_agent(services)
    limits = SignInLimits(per_account=100, per_address=3, window=timedelta(minutes=10))
    for n in range(3):
        clock.advance(timedelta(seconds=1))
        await _sign_in(services, f"guess{n}@example.com", address="10.9.9.9", limits=limits)
    result = await sign_in(
        services.uow, KEY, "adam@example.com", PASSWORD, "10.9.9.9", lifetime=HOURS, limits=limits
    )
    assert result.outcome == "locked" and result.retry_after_s is not None
    assert await _sign_in(services, "adam@example.com", address="10.1.1.1", limits=limits)
