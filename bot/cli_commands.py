"""Commands contributed by other parts (workflows, channels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import console_chat, workflow_cli
from channels.cli import register as telegram_commands

if TYPE_CHECKING:
    from bot.cli import Registrar

REGISTRARS: list[Registrar] = [workflow_cli.register, console_chat.register, telegram_commands]
