"""What a ``relaybot`` command is, for every part that adds one (workflows, chat, channels)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.core.config import Settings

if TYPE_CHECKING:
    from bot.pipeline.services import Services

Command = Callable[[argparse.Namespace, Settings], int]
"""A command's body: the parsed arguments and the settings in, the exit code out."""

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
"""Adds a part's commands to the ``relaybot`` parser."""


def run_async(coro: Coroutine[Any, Any, int | None]) -> int:
    """Run a command's coroutine to completion and return its exit code."""
    return int(asyncio.run(coro) or 0)


ServicesCommand = Callable[[argparse.Namespace, "Services"], Awaitable[int]]
"""A command's body that works on the services: the parsed arguments and the services in."""


def with_services(command: ServicesCommand) -> Command:
    """``command`` as a :data:`Command`, run with the services on a migrated database
    (SQLite migrates itself) and closed after."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        from bot.app.migrate import upgrade
        from bot.pipeline.services import build_services

        if settings.is_sqlite:
            upgrade(settings.database_url)

        async def main() -> int:
            services = build_services(settings)
            try:
                return await command(args, services)
            finally:
                await services.close()

        return run_async(main())

    return run
