"""Console accounts and their sessions, as plain values.

Each function takes the open transaction. A second account with a stored e-mail raises
:class:`~bot.storage.app.people_queries.AlreadyStored`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.app.people_queries import AlreadyStored
from bot.storage.db import Database
from bot.storage.models import Agent, ConsoleAccount, ConsoleSession
from bot.storage.uow import Tx


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    email: str
    password_hash: str
    role: str
    agent_id: int | None
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRow:
    token_hash: str
    account_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _account(row: ConsoleAccount) -> AccountRow:
    return AccountRow(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        role=row.role,
        agent_id=row.agent_id,
        disabled=row.disabled,
        created_at=row.created_at,
    )


async def add_account(
    tx: Tx, *, email: str, password_hash: str, role: str, agent_id: int | None
) -> AccountRow:
    """Store a new account; :class:`AlreadyStored` when the e-mail is taken."""
    row = ConsoleAccount(
        email=email,
        password_hash=password_hash,
        role=role,
        agent_id=agent_id,
        disabled=False,
        created_at=tx.now,
    )
    tx.session.add(row)
    try:
        async with tx.savepoint():
            await tx.session.flush()
    except IntegrityError as exc:
        raise AlreadyStored("an account with this e-mail exists") from exc
    return _account(row)


async def by_email(tx: Tx, email: str) -> AccountRow | None:
    row = await tx.session.scalar(
        select(ConsoleAccount).where(func.lower(ConsoleAccount.email) == email.lower())
    )
    return None if row is None else _account(row)


async def by_id(tx: Tx, account_id: int) -> AccountRow | None:
    row = await tx.session.get(ConsoleAccount, account_id)
    return None if row is None else _account(row)


async def all_accounts(tx: Tx) -> list[AccountRow]:
    rows = await tx.session.scalars(select(ConsoleAccount).order_by(ConsoleAccount.id))
    return [_account(r) for r in rows]


async def admin_count(tx: Tx) -> int:
    """Admins who can sign in."""
    count = await tx.session.scalar(
        select(func.count())
        .select_from(ConsoleAccount)
        .where(ConsoleAccount.role == "admin", ConsoleAccount.disabled.is_(False))
    )
    return int(count or 0)


async def set_role(tx: Tx, account_id: int, role: str, agent_id: int | None) -> None:
    await tx.session.execute(
        update(ConsoleAccount)
        .where(ConsoleAccount.id == account_id)
        .values(role=role, agent_id=agent_id)
    )


async def set_disabled(tx: Tx, account_id: int, disabled: bool) -> None:
    await tx.session.execute(
        update(ConsoleAccount).where(ConsoleAccount.id == account_id).values(disabled=disabled)
    )


async def set_password_hash(tx: Tx, account_id: int, password_hash: str) -> None:
    await tx.session.execute(
        update(ConsoleAccount)
        .where(ConsoleAccount.id == account_id)
        .values(password_hash=password_hash)
    )


async def agent_id_by_email(tx: Tx, email: str) -> int | None:
    """The agent record with this e-mail (any case), if there is one."""
    found = await tx.session.scalar(
        select(Agent.id).where(func.lower(Agent.email) == email.lower())
    )
    return None if found is None else int(found)


async def agent_exists(tx: Tx, agent_id: int) -> bool:
    return await tx.session.get(Agent, agent_id) is not None


async def add_session(
    tx: Tx, *, token_hash: str, account_id: int, expires_at: datetime, client_address: str | None
) -> None:
    tx.session.add(
        ConsoleSession(
            token_hash=token_hash,
            account_id=account_id,
            created_at=tx.now,
            expires_at=expires_at,
            client_address=client_address,
        )
    )


async def session_with_account(
    db: Database, token_hash: str
) -> tuple[SessionRow, AccountRow] | None:
    """The session stored under ``token_hash`` and its account, read on a reading
    connection (every signed-in request asks; on SQLite it must not queue for the writer)."""
    async with db.read() as session:
        found = (
            await session.execute(
                select(
                    ConsoleSession.token_hash,
                    ConsoleSession.account_id,
                    ConsoleSession.created_at,
                    ConsoleSession.expires_at,
                    ConsoleSession.revoked_at,
                    ConsoleAccount.email,
                    ConsoleAccount.password_hash,
                    ConsoleAccount.role,
                    ConsoleAccount.agent_id,
                    ConsoleAccount.disabled,
                    ConsoleAccount.created_at,
                )
                .join(ConsoleAccount, ConsoleAccount.id == ConsoleSession.account_id)
                .where(ConsoleSession.token_hash == token_hash)
            )
        ).first()
    if found is None:
        return None
    stored = SessionRow(*found[:5])
    account = AccountRow(stored.account_id, *found[5:])
    return stored, account


async def prune_sessions(tx: Tx, account_id: int) -> int:
    """Forget the account's sessions that ended (expired or revoked); how many."""
    result = await tx.session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.account_id == account_id,
            or_(ConsoleSession.expires_at <= tx.now, ConsoleSession.revoked_at.is_not(None)),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_session(tx: Tx, token_hash: str) -> bool:
    """Revoke one session; False when it was unknown or revoked already."""
    result = await tx.session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_hash == token_hash, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=tx.now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_account_sessions(tx: Tx, account_id: int) -> int:
    """Revoke every live session of the account; how many."""
    result = await tx.session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.account_id == account_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=tx.now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
