"""A database that cannot store now is no fault of the journal's entries: they wait."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.core.config import Settings
from bot.pipeline.services import Services
from bot.storage.models import InboundJournalEntry, Message
from bot.storage.pg_notify import asyncpg_dsn
from bot.storage.transient import is_transient
from tests.conftest import fresh_postgres_url, make_settings
from tests.db_support import PostgresDatabase
from tests.integration.storage.test_journal import normalize, payload


@pytest.fixture
async def database_url(postgres_database: PostgresDatabase | None) -> str:
    """PostgreSQL only: a statement cancelled by its timeout while a lock is held elsewhere."""
    return await fresh_postgres_url(postgres_database)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, RELAYBOT_DB_STATEMENT_TIMEOUT_MS=300)


async def test_entries_stay_in_the_journal_while_the_database_cannot_store_them(
    services: Services, settings: Settings
) -> None:
    services.journal_processor.register("test", normalize)
    await services.journal.append("test", "t1", payload(1))
    other = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        transaction = other.transaction()
        await transaction.start()
        await other.execute("LOCK TABLE inbound_keys IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(DBAPIError, match="statement timeout") as caught:
            await services.journal_processor.run_once()
        assert is_transient(caught.value)
        await transaction.rollback()
    finally:
        await other.close()
    async with services.db.session() as session:
        entry = await session.scalar(select(InboundJournalEntry))
        assert entry is not None
        assert (entry.processed_at, entry.error) == (None, None)
    assert await services.journal_processor.run_once() == 1
    async with services.db.session() as session:
        assert list(await session.scalars(select(Message.text))) == ["message 1"]
        entry = await session.scalar(select(InboundJournalEntry))
        assert entry is not None and entry.processed_at is not None and entry.error is None
