"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, close) to a thread and back, so
one statement costs several trips through the event loop; under load each trip waits
behind every other ready task, and the single writer's transaction holds the write
lock for all that time. A statement on a local SQLite file takes microseconds, so
here it runs where it is called: the driver's coroutines finish without suspending,
a transaction holds the loop only for its own work, and no thread is involved.

The WAL is checkpointed by :class:`Checkpointer` on a thread of its own, so the fsync
a checkpoint needs never stalls the loop (connections made here do not checkpoint).

Nor does waiting for another process's write lock stall it: the connections have no
busy timeout (SQLite's busy handler would sleep inside the call, on the loop's thread),
so a locked database answers SQLITE_BUSY at once, and the driver tries again after
growing pauses that suspend only the waiting task (:func:`wait_for_lock`). It does so
only where a second attempt is safe: BEGIN, COMMIT (a COMMIT that answers BUSY leaves
the transaction open), a statement outside a transaction (its own transaction, undone
whole), and any statement of a reading connection. In WAL mode readers do not need the
write lock, so reads go on while another process writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.util import await_

from bot.core.errors import StorageTimeout

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 1.0
LOCK_WAIT_S = 10.0
"""How long a statement waits for the write lock when no deadline is set: the busy
timeout these connections had while SQLite itself did the waiting."""
FIRST_PAUSE_S = 0.001
LONGEST_PAUSE_S = 0.1
"""The pauses between attempts double from 1 ms up to 100 ms, as the steps of SQLite's
own busy handler grow."""

T = TypeVar("T")
_DEADLINE: ContextVar[float | None] = ContextVar("sqlite_lock_deadline", default=None)


@contextlib.contextmanager
def lock_deadline(at: float | None) -> Iterator[None]:
    """Within: a wait for the write lock gives up at loop time ``at`` (or at an outer
    deadline, if sooner) with :class:`~bot.core.errors.StorageTimeout`. None: no change."""
    if at is None:
        yield
        return
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(at, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def is_locked(error: sqlite3.Error) -> bool:
    """True for SQLITE_BUSY ("database is locked") and its extended codes."""
    return (
        isinstance(error, sqlite3.OperationalError)
        and error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    )


async def wait_for_lock(attempt: Callable[[], T]) -> T:
    """``attempt()`` again, after growing pauses, while the database is locked; for a
    caller whose first attempt answered SQLITE_BUSY, and only where trying again is safe.

    Raises :class:`~bot.core.errors.StorageTimeout` at the lock deadline (:func:`lock_deadline`),
    or after :data:`LOCK_WAIT_S` without one.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = _DEADLINE.get()
    give_up = started + LOCK_WAIT_S if deadline is None else min(deadline, started + LOCK_WAIT_S)
    pause = FIRST_PAUSE_S
    while True:
        left = give_up - loop.time()
        if left <= 0:
            waited = loop.time() - started
            logger.warning("the SQLite database stayed locked for %.1f s; giving up", waited)
            raise StorageTimeout(waited)
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE_S)
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if not is_locked(error):
                raise


async def unlocked(attempt: Callable[[], T]) -> T:
    """``attempt()``, and again as :func:`wait_for_lock` does while the database is locked."""
    try:
        return attempt()
    except sqlite3.OperationalError as error:
        if not is_locked(error):
            raise
    return await wait_for_lock(attempt)


class InlineCursor:
    """An aiosqlite-shaped cursor whose coroutines complete at once (unless the database
    is locked: see the module's docstring)."""

    def __init__(self, cursor: sqlite3.Cursor, read_only: bool = False) -> None:
        self._cursor = cursor
        self._read_only = read_only

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        try:
            self._execute(sql, parameters)
        except sqlite3.OperationalError as error:
            if not is_locked(error) or (
                self._cursor.connection.in_transaction and not self._read_only
            ):
                raise  # a statement in the middle of a writing transaction: not to be run twice
            await wait_for_lock(lambda: self._execute(sql, parameters))
        return self

    def _execute(self, sql: str, parameters: Sequence[Any] | None) -> None:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)

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
    """An aiosqlite-shaped connection over a plain ``sqlite3`` connection.

    ``read_only``: the connection only reads, so any statement may be tried again.
    """

    def __init__(self, connection: sqlite3.Connection, read_only: bool = False) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self._read_only = read_only

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._read_only)

    def begin(self, immediate: bool) -> None:
        """Start a transaction (``immediate``: taking the write lock at once).

        Called from SQLAlchemy's synchronous ``begin`` event, inside its greenlet: a
        locked database is waited for through :func:`sqlalchemy.util.await_`.
        """
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        try:
            self._conn.execute(statement)
        except sqlite3.OperationalError as error:
            if not is_locked(error):
                raise
            await_(wait_for_lock(lambda: self._conn.execute(statement)))

    async def commit(self) -> None:
        try:
            self._conn.commit()
        except sqlite3.OperationalError as error:
            if not is_locked(error):
                raise
            await wait_for_lock(self._conn.commit)

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


def inline_creator(url: str, read_only: bool = False) -> Callable[[], Awaitable[InlineConnection]]:
    """An ``async_creator`` for ``create_async_engine`` opening ``url``'s file inline.

    Connections run in autocommit mode (SQLAlchemy's BEGIN starts transactions), have
    no busy timeout (the driver waits for locks) and leave checkpoints to
    :class:`Checkpointer`. ``read_only``: for connections that only read.
    """
    args, options = SQLiteDialect_pysqlite().create_connect_args(make_url(url))
    (database,) = args
    kwargs: dict[str, Any] = {
        **options,
        "check_same_thread": False,
        "isolation_level": None,
        "timeout": 0,
    }

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(database, **kwargs)
        connection.execute("PRAGMA wal_autocheckpoint=0")
        return InlineConnection(connection, read_only)

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
            self._thread = threading.Thread(
                target=self._loop, name="sqlite-checkpoint", daemon=True
            )
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
