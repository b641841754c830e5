"""Wake-ups between processes: PostgreSQL LISTEN/NOTIFY.

A transaction that stores events, outbound items or timers sends a NOTIFY on the
matching channel (database triggers, see the ``notify_triggers`` migration);
PostgreSQL delivers it at commit to every listening process, which sets the same
in-process signal a local commit sets. The payload is the storing process's origin
(``relaybot.origin`` on its connections), so a process ignores its own notifications:
its commit already woke its workers. Each process listens on one connection of its
own. Polling stays the fallback: a lost notification (the listener was reconnecting)
only delays work until the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.signals import Signals
from bot.storage.db import Database

logger = logging.getLogger(__name__)

EVENTS = "relaybot_events"
OUTBOX = "relaybot_outbox"
TIMERS = "relaybot_timers"
WIDGET = "relaybot_widget"
MAX_PAYLOAD = 7900  # bytes; PostgreSQL refuses NOTIFY payloads of 8000 bytes and more

Handler = Callable[[str], None]
"""Called with a notification's payload, inside the event loop."""


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL as a plain ``postgresql://`` DSN for a direct asyncpg connection."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def notify(session: AsyncSession, channels: list[str], payload: str = "") -> None:
    """Send NOTIFY on ``channels`` in this session's transaction (delivered at commit)."""
    if not channels:
        return
    calls = ", ".join(f"pg_notify(:c{i}, :p)" for i in range(len(channels)))
    params: dict[str, Any] = {f"c{i}": name for i, name in enumerate(channels)}
    params["p"] = payload
    await session.execute(text(f"SELECT {calls}"), params)


async def publish(db: Database, channel: str, payload: str) -> None:
    """NOTIFY ``channel`` with ``payload`` in a transaction of its own."""
    async with db.session() as session:
        await notify(session, [channel], payload)


def wake_signals(listener: PgListener, signals: Signals) -> None:
    """Set the in-process signals when another process announces new work; a
    notification this process sent itself (its origin as the payload) wakes nothing, as
    its commit already did.

    Another process's events wake the console's live inbox, not the event dispatcher:
    the process that stores an event delivers it (see :mod:`bot.pipeline.events`), and
    the dispatchers' idle sweeps find what a process stored and did not deliver."""

    def from_elsewhere(wake: Callable[[], object]) -> Handler:
        def handle(payload: str) -> None:
            if payload != listener.origin:
                wake()

        return handle

    listener.on(EVENTS, from_elsewhere(signals.events.set))
    listener.on(OUTBOX, from_elsewhere(signals.outbox.set))
    listener.on(TIMERS, from_elsewhere(signals.timers_changed))


class PgListener:
    """Listens on the relaybot channels over one connection, reconnecting when it drops."""

    def __init__(self, dsn: str, *, origin: str | None = None, check_interval: float = 5.0) -> None:
        self._dsn = dsn
        self._check_interval = check_interval
        self._handlers: dict[str, list[Handler]] = {}
        self.origin = origin or uuid.uuid4().hex
        """This process's id, for payloads that the sender itself should ignore (the
        database's :attr:`~bot.storage.db.Database.origin`, which the NOTIFY triggers send)."""
        self.connected = asyncio.Event()

    def on(self, channel: str, handler: Handler) -> None:
        """Call ``handler(payload)`` for every notification on ``channel``."""
        self._handlers.setdefault(channel, []).append(handler)

    def _dispatch(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        for handler in self._handlers.get(channel, []):
            try:
                handler(payload)
            except Exception:
                logger.exception("notification handler failed", extra={"channel": channel})

    async def run(self, retry_interval: float) -> None:
        """Listen until cancelled; after every (re)connect each handler runs once (catch-up)."""
        while True:
            conn: Any = None
            try:
                conn = await asyncpg.connect(
                    self._dsn, server_settings={"application_name": "relaybot-listen"}
                )
                for channel in self._handlers:
                    await conn.add_listener(channel, self._dispatch)
                self.connected.set()
                for channel in self._handlers:
                    self._dispatch(conn, 0, channel, "")
                while True:
                    await asyncio.sleep(self._check_interval)
                    await conn.execute("SELECT 1")  # notices a dropped connection
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("LISTEN connection lost (%s); polling until it is back", exc)
            finally:
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.close(timeout=2))
            await asyncio.sleep(retry_interval)
