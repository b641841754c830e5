"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, close) to a thread and back, so
one statement costs several trips through the event loop; under load each trip waits
behind every other ready task, and the single writer's transaction holds the write
lock for all that time. A statement on a local SQLite file takes microseconds, so
here it runs where it is called: the driver's coroutines finish without suspending,
a transaction holds the loop only for its own work, and no thread is involved.

The WAL is checkpointed by :class:`Checkpointer` on a thread of its own, so the fsync
a checkpoint needs never stalls the loop (connections made here do not checkpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 1.0


class InlineCursor:
    """An aiosqlite-shaped cursor whose coroutines complete at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """An aiosqlite-shaped connection over a plain ``sqlite3`` connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    def begin(self, immediate: bool) -> None:
        """Start a transaction (``immediate``: taking the write lock at once)."""
        self._conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._connection = None
        self._conn.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


def inline_creator(url: str) -> Callable[[], Awaitable[InlineConnection]]:
    """An ``async_creator`` for ``create_async_engine`` opening ``url``'s file inline.

    Connections run in autocommit mode (SQLAlchemy's BEGIN starts transactions) and
    leave checkpoints to :class:`Checkpointer`.
    """
    args, options = SQLiteDialect_pysqlite().create_connect_args(make_url(url))
    (database,) = args
    kwargs: dict[str, Any] = {**options, "check_same_thread": False, "isolation_level": None}

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(database, **kwargs)
        connection.execute("PRAGMA wal_autocheckpoint=0")
        return InlineConnection(connection)

    return connect


def database_path(url: str) -> str | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


class Checkpointer:
    """Copies the WAL back into the database file every second, off the event loop.

    PASSIVE checkpoints never wait for readers or writers; a thread of its own keeps
    their fsync away from the loop.
    """

    def __init__(self, path: str, every_s: float = CHECKPOINT_EVERY_S) -> None:
        self.path = path
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="sqlite-checkpoint", daemon=True)
            self._thread.start()

    def checkpoint(self) -> tuple[int, int]:
        """One PASSIVE checkpoint: (frames in the WAL, frames copied into the database)."""
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.path, timeout=0, isolation_level=None, check_same_thread=False
            )
        _busy, log, copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(log), int(copied)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.every_s):
                try:
                    self.checkpoint()
                except sqlite3.Error as error:
                    logger.debug("WAL checkpoint skipped: %s", error)
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.checkpoint()
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    async def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            await asyncio.to_thread(thread.join)
