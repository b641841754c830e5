"""A fresh database upgraded to head matches the ORM models, on every backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app.migrate import upgrade_async
from bot.storage.models import Base


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


async def test_messages_sent_in_parts_before_the_upgrade_get_their_part_rows(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await upgrade_async(url, "c5d2f8a41e93")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute(
            "INSERT INTO contacts (id, attributes, unreachable, created_at, updated_at)"
            " VALUES (1, '{}', 0, '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO conversations (id, contact_id, channel, external_id, status, message_count,"
            " attributes, created_at, last_activity_at) VALUES (1, 1, 'whatsapp', 'c', 'open', 0, '{}',"
            " '2026-01-01', '2026-01-01')"
        )
        for message_id, direction, external_id in (
            (1, "out", "SMa,SMb"),
            (2, "out", "SMc"),
            (3, "in", "SMd,SMe"),
            (4, "out", None),
        ):
            conn.execute(
                "INSERT INTO messages (id, conversation_id, direction, sender_kind, kind, media, extra,"
                " external_id, delivery_status, created_at) VALUES (?, 1, ?, 'bot', 'text', '[]', '{}',"
                " ?, 'sent', '2026-01-01')",
                (message_id, direction, external_id),
            )
    await upgrade_async(url)
    with sqlite3.connect(tmp_path / "old.db") as conn:
        parts = conn.execute(
            "SELECT external_id, message_id FROM message_parts ORDER BY 1"
        ).fetchall()
    assert parts == [("SMa", 1), ("SMb", 1)]
