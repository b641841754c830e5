"""Small dialect-aware SQL helpers shared by the storage code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Agent, Base, Contact, Conversation, Lead, Message, Team

Row = TypeVar("Row", Conversation, Agent, Team, Lead, Contact, Message)


def dialect_insert(bind: AsyncSession | str, target: type[Base] | Table) -> Any:
    """The dialect's own INSERT (with ON CONFLICT) for a session's database or a dialect name."""
    dialect = bind if isinstance(bind, str) else bind.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(target)


async def upsert_ignore(
    session: AsyncSession, model: type[Base], values: dict[str, Any], conflict: list[str]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted."""
    stmt = dialect_insert(session, model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, for statements that skip the ORM's bookkeeping."""
    return cast(Table, model.__table__)


async def rows_by_id(session: AsyncSession, model: type[Row], ids: Iterable[int | None]) -> dict[int | None, Row]:
    """The rows of ``model`` with these ids (Nones ignored), by id, in one query."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.scalars(select(model).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


async def insert_with_ids(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one statement; their new ids, in the order of ``rows``.

    PostgreSQL returns the ids in order. SQLite cannot promise an order for a multi-row
    ``RETURNING``, so there the ids are given out here, after the table's highest: the
    transaction holds SQLite's write lock from its ``BEGIN IMMEDIATE``, so no other
    writer can take them meanwhile, and they are the ids SQLite would have chosen.
    """
    if not rows:
        return []
    table = table_of(model)
    if is_postgres(session):
        created = await session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return list(created.all())
    highest = await session.scalar(select(func.max(table.c.id)))
    ids = list(range((highest or 0) + 1, (highest or 0) + 1 + len(rows)))
    await session.execute(insert(table), [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)])
    return ids
