"""Console accounts: admins and agents who sign in to the web console.

An agent account is linked to its agent record (by e-mail, or named by id). Only admins
change workflows, agents, teams and settings. Every change is audited, and a role change,
a new password or disabling ends the account's sessions at once. The last admin who can sign in cannot
be demoted or disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit, passwords
from bot.domain.audit import Actor
from bot.storage.app import account_records
from bot.storage.app.account_records import AccountRow
from bot.storage.app.people_queries import AlreadyStored
from bot.storage.uow import Tx, UnitOfWork

Role = Literal["admin", "agent"]
ROLES: tuple[Role, ...] = ("admin", "agent")


@dataclass(frozen=True)
class Account:
    """An account as shown: never its password hash."""

    id: int
    email: str
    role: Role
    agent_id: int | None
    disabled: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def account_of(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        role=check_role(row.role),
        agent_id=row.agent_id,
        disabled=row.disabled,
        created_at=row.created_at,
    )


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise ValidationFailed("role", f"must be one of {', '.join(ROLES)}")
    return role


def normalize_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not (local and at and "." in domain) or len(cleaned) > 320 or " " in cleaned:
        raise ValidationFailed("email", "is not an e-mail address")
    return cleaned


async def _agent_link(tx: Tx, email: str, role: Role, agent_id: int | None) -> int | None:
    """The agent record an account links to: the one named, else the one with its e-mail.
    An agent account must have one; an admin's is optional."""
    if agent_id is not None:
        if not await account_records.agent_exists(tx, agent_id):
            raise ValidationFailed("agent", f"no agent {agent_id}")
        return agent_id
    found = await account_records.agent_id_by_email(tx, email)
    if found is None and role == "agent":
        raise ValidationFailed(
            "agent", f"no agent with the e-mail {email}: create the agent first or name it"
        )
    return found


async def create_account(
    uow: UnitOfWork,
    email: str,
    password: str,
    role: str,
    actor: Actor,
    *,
    agent_id: int | None = None,
) -> Account:
    """Store a new account with a hashed password; audited as ``account.created``."""
    address = normalize_email(email)
    checked = check_role(role)
    password_hash = passwords.hash_password(password)
    try:
        async with uow() as tx:
            link = await _agent_link(tx, address, checked, agent_id)
            row = await account_records.add_account(
                tx, email=address, password_hash=password_hash, role=checked, agent_id=link
            )
            await audit.record(
                tx, actor, audit.ACCOUNT_CREATED, address, {"role": checked, "agent_id": link}
            )
    except AlreadyStored as exc:
        raise ValidationFailed("email", "an account with this e-mail exists") from exc
    return account_of(row)


async def account_exists(uow: UnitOfWork, email: str) -> bool:
    """Whether an account with this e-mail is stored."""
    async with uow() as tx:
        return await account_records.by_email(tx, normalize_email(email)) is not None


async def list_accounts(uow: UnitOfWork) -> list[Account]:
    async with uow() as tx:
        return [account_of(r) for r in await account_records.all_accounts(tx)]


async def _existing(tx: Tx, email: str) -> AccountRow:
    row = await account_records.by_email(tx, email.strip())
    if row is None:
        raise NotFoundError(f"no account {email.strip()!r}")
    return row


async def _keep_an_admin(tx: Tx, row: AccountRow) -> None:
    if row.role == "admin" and not row.disabled and await account_records.admin_count(tx) <= 1:
        raise ValidationFailed("email", "the last admin who can sign in stays an admin")


async def set_role(
    uow: UnitOfWork, email: str, role: str, actor: Actor, *, agent_id: int | None = None
) -> Account:
    """Change an account's role and end its sessions; audited as ``account.role_changed``."""
    checked = check_role(role)
    async with uow() as tx:
        row = await _existing(tx, email)
        if row.role == checked:
            return account_of(row)
        if checked != "admin":
            await _keep_an_admin(tx, row)
        link = row.agent_id
        if checked == "agent" and (link is None or agent_id is not None):
            link = await _agent_link(tx, row.email, checked, agent_id)
        await account_records.set_role(tx, row.id, checked, link)
        await account_records.revoke_account_sessions(tx, row.id)
        await audit.record(
            tx, actor, audit.ACCOUNT_ROLE_CHANGED, row.email, {"from": row.role, "to": checked}
        )
        changed = await account_records.by_id(tx, row.id)
    assert changed is not None
    return account_of(changed)


async def set_password(uow: UnitOfWork, email: str, password: str, actor: Actor) -> Account:
    """Give the account a new password and end its sessions; audited as
    ``account.password_changed`` (the password itself is never recorded)."""
    password_hash = passwords.hash_password(password)
    async with uow() as tx:
        row = await _existing(tx, email)
        await account_records.set_password_hash(tx, row.id, password_hash)
        ended = await account_records.revoke_account_sessions(tx, row.id)
        await audit.record(
            tx, actor, audit.ACCOUNT_PASSWORD_CHANGED, row.email, {"sessions_ended": ended}
        )
    return account_of(row)


async def disable(uow: UnitOfWork, email: str, actor: Actor) -> Account:
    """Disable an account and end its sessions; audited as ``account.disabled``."""
    async with uow() as tx:
        row = await _existing(tx, email)
        if row.disabled:
            return account_of(row)
        await _keep_an_admin(tx, row)
        await account_records.set_disabled(tx, row.id, True)
        ended = await account_records.revoke_account_sessions(tx, row.id)
        await audit.record(tx, actor, audit.ACCOUNT_DISABLED, row.email, {"sessions_ended": ended})
        changed = await account_records.by_id(tx, row.id)
    assert changed is not None
    return account_of(changed)
