"""Listening to the database engines' events during a block of a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.pipeline.services import Services


@contextmanager
def listening(
    services: Services, name: str, listener: Callable[..., Any], *, reads: bool = True
) -> Iterator[None]:
    """``listener`` on the engine event ``name`` meanwhile: on the writing engine and, with
    ``reads``, on SQLite's reading engine too."""
    engines = [services.db.engine.sync_engine]
    if reads and services.db._read_engine is not None:
        engines.append(services.db._read_engine.sync_engine)
    for engine in engines:
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, name, listener)


@contextmanager
def statements(services: Services, *, reads: bool = True) -> Iterator[list[str]]:
    """The SQL sent meanwhile (an executemany counts once), as :func:`listening` hears it."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    with listening(services, "before_cursor_execute", record, reads=reads):
        yield seen
