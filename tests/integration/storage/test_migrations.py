"""A fresh database upgraded to head matches the ORM models, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models import Base


async def test_migrated_schema_matches_models(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, Base.metadata))

            def tables(sync_conn: Any) -> set[str]:
                return set(inspect(sync_conn).get_table_names())

            assert await conn.run_sync(diff) == []
            assert set(Base.metadata.tables) <= await conn.run_sync(tables)
    finally:
        await engine.dispose()
