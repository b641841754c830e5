"""What a ``relaybot`` command is, for every part that adds one (workflows, chat, channels)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bot.core.config import Settings

Command = Callable[[argparse.Namespace, Settings], int]
"""A command's body: the parsed arguments and the settings in, the exit code out."""

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
"""Adds a part's commands to the ``relaybot`` parser."""


def run_async(coro: Coroutine[Any, Any, int | None]) -> int:
    """Run a command's coroutine to completion and return its exit code."""
    return int(asyncio.run(coro) or 0)
