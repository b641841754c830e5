"""The in-loop SQLite driver: transactions, errors and the off-loop checkpoints."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.core.config import Settings
from bot.storage.db import Database
from bot.storage.sqlite_inline import Checkpointer, database_path


def _settings(path: Path) -> Settings:
    return Settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}")


async def test_commits_roll_backs_and_errors_behave_as_a_driver_should(tmp_path: Path) -> None:
    db = Database(_settings(tmp_path / "inline.db"))
    try:
        async with db.session() as session:
            await session.execute(
                text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            )
            await session.execute(text("INSERT INTO items (name) VALUES ('kept')"))

        async def insert_two() -> None:
            async with db.session() as session:
                await session.execute(text("INSERT INTO items (name) VALUES ('dropped')"))
                await session.execute(text("INSERT INTO items (name) VALUES ('kept')"))

        with pytest.raises(IntegrityError):
            await insert_two()
        async with db.read() as session:
            names = (await session.scalars(text("SELECT name FROM items ORDER BY id"))).all()
        assert names == ["kept"]
    finally:
        await db.close()


async def test_the_checkpointer_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    db = Database(_settings(path))
    try:
        async with db.session() as session:
            await session.execute(text("CREATE TABLE notes (body TEXT)"))
            for i in range(50):
                await session.execute(
                    text("INSERT INTO notes VALUES (:b)"), {"b": f"note {i}" * 20}
                )
        checkpointer = Checkpointer(str(path))
        log, copied = checkpointer.checkpoint()
        assert log > 0 and copied == log
    finally:
        await db.close()


async def test_sqlite_durability_follows_the_setting(tmp_path: Path) -> None:
    for value, expected in (("normal", 1), ("FULL", 2)):
        settings = Settings(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'sync.db'}",
            RELAYBOT_SQLITE_SYNCHRONOUS=value,
        )
        db = Database(settings)
        try:
            async with db.session() as session:
                assert await session.scalar(text("PRAGMA synchronous")) == expected
        finally:
            await db.close()


async def test_a_writing_session_holds_the_write_lock_from_its_first_statement(
    tmp_path: Path,
) -> None:
    """Writers lock at BEGIN (so two never dead-lock upgrading from reading); readers never lock."""
    path = tmp_path / "locks.db"
    db = Database(_settings(path))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with db.session() as session:
            await session.execute(text("CREATE TABLE notes (body TEXT)"))
        async with db.session() as session:
            await session.execute(text("SELECT count(*) FROM notes"))  # reads, yet holds the lock
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO notes VALUES ('elsewhere')")
        async with db.read() as session:
            await session.execute(text("SELECT count(*) FROM notes"))
            other.execute("INSERT INTO notes VALUES ('beside a reader')")
        async with db.read() as session:
            assert (await session.scalar(text("SELECT count(*) FROM notes"))) == 1
    finally:
        other.close()
        await db.close()


def test_database_path_knows_files_from_memory() -> None:
    assert database_path("sqlite+aiosqlite:///./relaybot.db") == "./relaybot.db"
    assert database_path("sqlite+aiosqlite:///:memory:") is None
    assert database_path("sqlite+aiosqlite://") is None
