"""Small dialect-aware SQL helpers shared by the storage code."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase

from bot.storage.models import Base


def dialect_insert(bind: AsyncSession | str, target: type[Base] | Table) -> Any:
    """The dialect's own INSERT (with ON CONFLICT) for a session's database or a dialect name."""
    dialect = bind if isinstance(bind, str) else bind.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(target)


async def upsert_ignore(
    session: AsyncSession, model: type[Base], values: dict[str, Any], conflict: list[str]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted."""
    stmt = (
        dialect_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, for statements that skip the ORM's bookkeeping."""
    return cast(Table, model.__table__)


async def records_by_id(
    session: AsyncSession, model: type[Base], ids: Iterable[int | None]
) -> dict[int | None, Any]:
    """The rows of ``model`` with these ids (Nones ignored), by id, in one query: plain
    result rows (attributes by column name), for reading; no ORM objects, which cost
    more to build than the query takes."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(_rows_by_id(table_of(model)), {"wanted_ids": wanted})
    return {row.id: row for row in rows}


@cache
def _rows_by_id(table: Table) -> Select[Any]:
    """The table's rows with the ids given as ``wanted_ids`` (built once per table)."""
    return select(table).where(table.c.id.in_(bindparam("wanted_ids", expanding=True)))


async def insert_with_ids(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in one statement; their new ids, in the order of ``rows``.

    PostgreSQL returns the ids in order. SQLite cannot promise an order for a multi-row
    ``RETURNING``, so there the ids are given out here, after the table's highest: the
    transaction holds SQLite's write lock from its ``BEGIN IMMEDIATE``, so no other
    writer can take them meanwhile, and they are the ids SQLite would have chosen. A
    single row (the usual case at ordinary rates) returns its id itself, one statement
    instead of two.
    """
    if not rows:
        return []
    table = table_of(model)
    if is_postgres(session):
        created = await session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return list(created.all())
    connection = await session.connection()
    plan = _insert_plan(connection.dialect, table, tuple(rows[0])) if len(rows) == 1 else None
    if plan is not None:
        sql, names, _, converters = plan
        result = await connection.exec_driver_sql(
            f"{sql} RETURNING id", _driver_rows([[rows[0][n] for n in names]], converters)[0]
        )
        return [int(result.scalar_one())]
    highest = await session.scalar(select(func.max(table.c.id)))
    ids = list(range((highest or 0) + 1, (highest or 0) + 1 + len(rows)))
    await insert_many(
        session, table, [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    )
    return ids


async def insert_many(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in one executemany.

    The values are converted by each column's own bind processor and handed to the
    driver as they are, skipping the per-row work of a Core ``insert``, which shows when
    a transaction writes thousands of rows. Rows that leave out a column with a default
    take the Core path, which fills it in.
    """
    if not rows:
        return
    connection = await session.connection()
    plan = _insert_plan(connection.dialect, table, tuple(rows[0]))
    if plan is None:
        await connection.execute(insert(table), rows)
        return
    sql, names, _, converters = plan
    params = [[row[name] for name in names] for row in rows]
    await connection.exec_driver_sql(sql, _driver_rows(params, converters))


async def execute_many(
    session: AsyncSession, statement: UpdateBase, rows: list[dict[str, Any]]
) -> int | None:
    """Run ``statement`` (named bind parameters) once per row, as one executemany; the
    number of rows it changed (None where the driver does not count an executemany's
    rows: ``dialect.supports_sane_multi_rowcount``).

    The values are converted by each parameter's own bind processor, once per distinct
    value, and handed to the driver as they are, as :func:`insert_many` does.
    """
    if not rows:
        return 0
    connection = await session.connection()
    dialect = connection.dialect
    sql, names, fixed, converters = _compiled(dialect, statement)
    params = [[row[name] if name not in fixed else fixed[name] for name in names] for row in rows]
    driver_rows = _driver_rows(params, converters)
    if len(driver_rows) == 1:  # one execution: every driver counts its rows
        result = await connection.exec_driver_sql(sql, driver_rows[0])
        return int(result.rowcount)
    result = await connection.exec_driver_sql(sql, driver_rows)
    return int(result.rowcount) if dialect.supports_sane_multi_rowcount else None


def _driver_rows(params: list[list[Any]], converters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Each column's values through its converter (None: as they are), once per distinct
    value; the rows as the driver takes them."""
    for index, convert in enumerate(converters):
        if convert is not None:
            cached = _Converted(convert)
            for values in params:
                values[index] = cached(values[index])
    return list(map(tuple, params))


PLANS = 512
"""Compiled statements kept (per engine's dialect: a process has one or two engines)."""

Plan = tuple[str, tuple[str, ...], dict[str, Any], tuple[Any, ...]]
"""A statement as the driver takes it: its text, its parameters' names in order, the
values of those the statement fixes itself (``.values(status="done")``), and each
parameter's value converter (None: as it is)."""


@lru_cache(maxsize=PLANS)
def _compiled(dialect: Dialect, statement: UpdateBase) -> Plan:
    """``statement`` compiled for ``dialect`` (once per engine and statement)."""
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = [compiled.binds[name] for name in names]
    fixed = {name: bind.value for name, bind in zip(names, binds, strict=True) if not bind.required}
    converters = tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds)
    return str(compiled), names, fixed, converters


class _Converted:
    """A column's value converter that reuses its last result for the same object (a
    transaction's rows share its timestamp) and its result for an empty dict or list
    (the empty JSON documents most log lines and messages carry)."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self._convert = convert
        self._last: Any = _Converted
        self._result: Any = None
        self._empty: dict[type, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value is None:
            return value
        if value is self._last:
            return self._result
        kind = type(value)
        if (kind is dict or kind is list) and not value:
            if kind not in self._empty:
                self._empty[kind] = self._convert(value)
            return self._empty[kind]
        self._last, self._result = value, self._convert(value)
        return self._result


@lru_cache(maxsize=PLANS)
def _insert_plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> Plan | None:
    """The INSERT of these columns for ``dialect`` (None: the Core path, which fills in
    the defaults of the columns left out)."""
    if any(column.default is not None for column in table.columns if column.key not in keys):
        return None
    return _compiled(dialect, insert(table).inline().values({key: bindparam(key) for key in keys}))
