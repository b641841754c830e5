"""Shared fixtures: settings, a fake clock, and migrated databases on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.pipeline.services import Services, build_services
from tests.db_support import PostgresDatabase, SqliteTemplate, postgres_url

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase | None]:
    base = postgres_url()
    if base is None:
        yield None
        return
    database = PostgresDatabase(base)
    asyncio.run(database.create())
    database.migrate()
    yield database
    asyncio.run(database.drop())


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest,
    sqlite_template: SqliteTemplate,
    postgres_database: PostgresDatabase | None,
) -> AsyncIterator[str]:
    """A migrated, empty database; parametrized over SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_template.fresh_url()
        return
    yield await fresh_postgres_url(postgres_database)


async def fresh_postgres_url(postgres_database: PostgresDatabase | None) -> str:
    """The session's PostgreSQL database, emptied; skips when none is configured."""
    if postgres_database is None:
        pytest.skip("RELAYBOT_TEST_POSTGRES_URL is not set")
    await postgres_database.truncate()
    return postgres_database.url


@pytest.fixture
async def sqlite_url(sqlite_template: SqliteTemplate) -> str:
    """A migrated, empty SQLite database (for suites that need only one backend)."""
    return sqlite_template.fresh_url()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: nothing read from the environment or a .env file."""
    values: dict[str, object] = {
        "DATABASE_URL": database_url,
        "RELAYBOT_ADMIN_TOKEN": "test-admin-token",
        "RELAYBOT_OUTBOX_BASE_BACKOFF": 1.0,
        "RELAYBOT_POLL_INTERVAL": 0.05,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    built = build_services(settings, clock)
    yield built
    await built.close()


@pytest.fixture
def workflows_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples" / "workflows"
