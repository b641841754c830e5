"""Test databases: a migrated SQLite file per test, a migrated PostgreSQL database per run."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app.migrate import upgrade
from bot.storage.models import Base

POSTGRES_URL_VAR = "RELAYBOT_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VAR) or None


class SqliteTemplate:
    """Migrates one SQLite file once; each test gets a copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        upgrade(f"sqlite+aiosqlite:///{self.template}")

    def fresh_url(self) -> str:
        path = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copy(self.template, path)
        return f"sqlite+aiosqlite:///{path}"


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


class PostgresDatabase:
    """A throw-away database on the test server, migrated to head, emptied between tests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.name = f"relaybot_test_{uuid.uuid4().hex[:12]}"
        prefix, _, _ = base_url.rpartition("/")
        self.url = f"{prefix}/{self.name}"

    async def create(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.base_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()

    def migrate(self) -> None:
        upgrade(self.url)

    async def truncate(self) -> None:
        engine = create_async_engine(self.url)
        try:
            async with engine.begin() as conn:
                names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()

    async def drop(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.base_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()
