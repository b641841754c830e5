"""The async database: SQLite (embedded default) or PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import sqlite3
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core import json_codec
from bot.core.config import Settings
from bot.core.errors import StorageTimeout
from bot.storage.pg_arrays import use_array_in_lists
from bot.storage.sqlite_inline import (
    Checkpointer,
    database_path,
    inline_creator,
    lock_deadline,
    unlocked,
)

logger = logging.getLogger(__name__)

_HOLDS_GATE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "holds_sqlite_gate", default=False
)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=0",  # SQLite never waits for a lock inside a call: the driver does
)


def _configure_sqlite(engine: AsyncEngine, synchronous: str, immediate: bool = True) -> None:
    """WAL, foreign keys, no busy timeout, the durability asked for, and (``immediate``)
    transactions that lock at BEGIN."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA synchronous={synchronous}"):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a writer waits for it (in the driver,
        # see bot.storage.sqlite_inline) before its first statement instead of dead-locking when a
        # reader upgrades to a writer.
        # straight to the driver: no statement machinery for a BEGIN
        conn.connection.driver_connection.begin(immediate=immediate)


def create_engine(settings: Settings, origin: str | None = None) -> AsyncEngine:
    """Build the engine for ``settings.database_url``. On PostgreSQL, ``origin`` names this
    process on its connections (``relaybot.origin``): the NOTIFY triggers send it, and the
    process's own listener ignores what it sent."""
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=0,
            async_creator=inline_creator(url),
            **json_codec.ENGINE_ARGUMENTS,
        )
        _configure_sqlite(engine, settings.sqlite_synchronous)
        return engine
    connect_args: dict[str, Any] = {}
    server_settings: dict[str, str] = {}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    if origin is not None:
        server_settings["relaybot.origin"] = origin
    if server_settings and url.startswith("postgresql+asyncpg"):
        connect_args["server_settings"] = server_settings
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=settings.db_pool_pre_ping,
        connect_args=connect_args,
        **json_codec.ENGINE_ARGUMENTS,
    )
    if url.startswith("postgresql+asyncpg"):
        use_array_in_lists(engine.sync_engine.dialect)
    return engine


READ_CONNECTIONS = (
    4  # reads run inline (bot.storage.sqlite_inline): more connections cost no threads
)
READ_WAIT_S = 600.0  # reads queue for a connection as writes queue for the gate: no early give-up


def create_read_engine(settings: Settings) -> AsyncEngine | None:
    """Connections for reading a SQLite file beside the writer (None for an in-memory database)."""
    url = settings.database_url
    if ":memory:" in url or url.rstrip("/").endswith(":"):
        return None
    engine = create_async_engine(
        url,
        pool_size=READ_CONNECTIONS,
        max_overflow=0,
        pool_timeout=READ_WAIT_S,
        async_creator=inline_creator(url, read_only=True),
        **json_codec.ENGINE_ARGUMENTS,
    )
    _configure_sqlite(engine, settings.sqlite_synchronous, immediate=False)
    return engine


class PriorityGate:
    """A FIFO lock where urgent waiters go before the others.

    The lock is handed from holder to waiter, so nobody can slip in between.
    """

    def __init__(self) -> None:
        self._locked = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool = False) -> None:
        if not self._locked:
            self._locked = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._locked = False


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(self, settings: Settings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.origin = uuid.uuid4().hex
        """This database handle's name on its PostgreSQL connections (see :func:`create_engine`)."""
        self.engine = engine or create_engine(settings, self.origin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = create_read_engine(settings) if self.dialect == "sqlite" else None
        self._readers = (
            async_sessionmaker(self._read_engine, expire_on_commit=False)
            if self._read_engine is not None
            else async_sessionmaker(
                # READ COMMITTED gives each statement its own snapshot, so a BEGIN and a
                # COMMIT around reads add two round trips and no consistency
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
            if self.dialect == "postgresql"
            else None
        )
        # SQLite has one writer at a time: queue here instead of in its busy handler,
        # which sleeps in growing steps and turns contention into long stalls.
        self._sqlite_gate = PriorityGate() if self.dialect == "sqlite" else None
        path = database_path(settings.database_url) if self.dialect == "sqlite" else None
        self._checkpointer = Checkpointer(path) if path is not None else None
        if self._checkpointer is not None:
            self._checkpointer.start()
        self._path = path
        self._direct: sqlite3.Connection | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction_gate(self, urgent: bool = False) -> AsyncIterator[None]:
        """Held for the length of a transaction on SQLite (a no-op elsewhere).

        ``urgent`` transactions (a webhook waiting to answer) go before queued
        background work, and wait for the gate and for SQLite's write lock (held by
        another process, say) at most ``settings.store_timeout_s`` in all: then they
        raise :class:`~bot.core.errors.StorageTimeout`.
        """
        if self._sqlite_gate is None or _HOLDS_GATE.get():
            yield
            return
        deadline = None
        if urgent:
            wait = self.settings.store_timeout_s
            deadline = asyncio.get_running_loop().time() + wait
            try:
                async with asyncio.timeout_at(deadline):
                    await self._sqlite_gate.acquire(urgent=True)
            except TimeoutError as exc:
                raise StorageTimeout(wait) from exc
        else:
            await self._sqlite_gate.acquire()
        token = _HOLDS_GATE.set(True)
        try:
            with lock_deadline(deadline):
                yield
        finally:
            _HOLDS_GATE.reset(token)
            self._sqlite_gate.release()

    @asynccontextmanager
    async def session(self, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error.

        The transaction gate is let go at commit, before the session closes (SQLAlchemy
        closes an async session in a task of its own, a trip through the event loop that
        no other writer should wait for)."""
        async with self.sessions() as session, self.transaction_gate(urgent), session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only (commits nothing).

        On a SQLite file it uses its own connections with a deferred BEGIN, so reads
        neither queue behind the writers nor take the write lock (WAL lets them run
        beside a writer). On PostgreSQL it runs in autocommit: each statement is one
        round trip, with no BEGIN and COMMIT around it (under READ COMMITTED each
        statement sees its own snapshot either way). In memory it is an ordinary session.
        """
        if self._readers is None:
            async with self.session() as session:
                yield session
            return
        async with self._readers() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        """True when the database answers (on a SQLite file, through a reading connection:
        a health check must not queue for the write lock outside the transaction gate)."""
        async with (self._read_engine or self.engine).connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    @asynccontextmanager
    async def sqlite_statement(
        self, urgent: bool = False
    ) -> AsyncIterator[sqlite3.Connection | None]:
        """A plain ``sqlite3`` connection to the SQLite file, in autocommit mode, held
        under the transaction gate: each statement on it is a transaction of its own,
        with none of a session's work around it. None for PostgreSQL or in-memory SQLite.
        """
        if self._path is None:
            yield None
            return
        async with self.transaction_gate(urgent):
            if self._direct is None:
                self._direct = await self._connect_direct(self._path)
            yield self._direct

    async def _connect_direct(self, path: str) -> sqlite3.Connection:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            for pragma in (
                *SQLITE_PRAGMAS,
                f"PRAGMA synchronous={self.settings.sqlite_synchronous}",
            ):
                await unlocked(functools.partial(connection.execute, pragma))
        except BaseException:
            connection.close()
            raise
        connection.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's job
        return connection

    async def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        if self._checkpointer is not None:
            await self._checkpointer.stop()
        await self.engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()
