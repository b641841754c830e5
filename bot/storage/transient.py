"""Telling a database that cannot do it now from data that cannot be stored."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.core.errors import StorageTimeout

TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")
"""Connection lost, transaction rolled back (deadlock, serialization), out of resources,
cancelled or shutting down."""
TRANSIENT_SQLSTATES = {"55P03", "55006"}
"""A lock not available now; an object in use."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not do it now (a lock, a deadlock, a lost
    connection, a timeout) rather than that the data is wrong: such work is tried again,
    never set aside."""
    if isinstance(exc, StorageTimeout | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            return True
        state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")
        return state in TRANSIENT_SQLSTATES or state[:2] in TRANSIENT_SQLSTATE_CLASSES
    return False
