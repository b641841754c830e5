"""The log as ``relaybot`` sets it up, written into memory; put back as it was after each test."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from bot.core.config import Settings
from bot.core.log_redaction import BODY_LOGGERS, LOG_FORMAT, RedactSecrets, configure_logging


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """Root handlers, filters and levels changed inside are put back as they were."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in [*BODY_LOGGERS, "alembic"]}
    root_level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
                handler.removeFilter(old)
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def add_stream(fmt: str = LOG_FORMAT) -> io.StringIO:
    """One more root handler, writing into memory (in the format ``relaybot`` uses)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(fmt))
    logging.getLogger().addHandler(handler)
    return stream


def capture(settings: Settings, fmt: str = LOG_FORMAT) -> io.StringIO:
    """Logging set up by :func:`configure_logging`, everything logged also written into memory."""
    stream = add_stream(fmt)
    configure_logging(settings)
    return stream
