"""What workflow validation reads of the database: the roles the agents carry, whether a
SQLite database exists yet, and which errors mean the database could not be read."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.models import Agent
from bot.storage.uow import Tx

UNREADABLE: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)
"""What reading the database raises when it cannot be read (unreachable, no tables yet)."""


async def role_lists(tx: Tx) -> list[list[str] | None]:
    """Every agent's roles, one list per agent (empty when there are no agents)."""
    return list(await tx.session.scalars(select(Agent.roles)))


def sqlite_file_exists(database_url: str) -> bool:
    """Whether a SQLite URL names a database file that is there (not in memory, not yet
    created)."""
    database = make_url(database_url).database
    return bool(database) and database != ":memory:" and Path(str(database)).is_file()
