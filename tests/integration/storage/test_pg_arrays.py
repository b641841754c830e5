"""IN lists on PostgreSQL: one statement text for every length, the same rows as IN."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from bot.pipeline.services import Services
from bot.storage.models import Tag
from tests.conftest import fresh_postgres_url
from tests.db_support import PostgresDatabase
from tests.engine_events import statements


@pytest.fixture
async def database_url(postgres_database: PostgresDatabase | None) -> str:
    """PostgreSQL only: SQLite keeps SQLAlchemy's own IN lists."""
    return await fresh_postgres_url(postgres_database)


@pytest.fixture
async def tags(services: Services) -> dict[str, int]:
    """Ten tags, their ids by name."""
    async with services.db.session() as session:
        stored = [Tag(name=f"tag-{n}") for n in range(10)]
        session.add_all(stored)
        await session.commit()
        return {tag.name: tag.id for tag in stored}


async def test_lists_of_every_length_are_one_statement(
    services: Services, tags: dict[str, int]
) -> None:
    ids = sorted(tags.values())
    query = select(Tag.id).where(Tag.id.in_(bindparam("ids", expanding=True))).order_by(Tag.id)
    found: list[list[int]] = []
    with statements(services) as sent:
        async with services.db.session() as session:
            for length in range(len(ids) + 1):
                rows = await session.scalars(query, {"ids": ids[:length]})
                found.append(list(rows))
    assert found == [ids[:length] for length in range(len(ids) + 1)]
    assert len(set(sent)) == 1  # one text: asyncpg prepares it once per connection
    assert "= ANY" in sent[0]


async def test_literal_lists_take_each_executions_own_values(
    services: Services, tags: dict[str, int]
) -> None:
    """The statement is compiled once and cached; each execution binds its own list."""
    names = sorted(tags)

    async def with_names(wanted: list[str], *, negate: bool = False) -> set[str]:
        condition = Tag.name.not_in(wanted) if negate else Tag.name.in_(wanted)
        async with services.db.session() as session:
            return set(await session.scalars(select(Tag.name).where(condition)))

    assert await with_names(names[:2]) == set(names[:2])
    assert await with_names(names[5:8]) == set(names[5:8])
    assert await with_names([]) == set()
    assert await with_names(names[:2], negate=True) == set(names[2:])
    assert await with_names(names[3:], negate=True) == set(names[:3])
    assert await with_names([], negate=True) == set(names)
