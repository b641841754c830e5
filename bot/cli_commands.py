"""Commands contributed by other parts (workflows, channels)."""

from __future__ import annotations

from bot import console_chat, workflow_cli
from bot.commands import Registrar
from channels.cli import register as telegram_commands

REGISTRARS: list[Registrar] = [workflow_cli.register, console_chat.register, telegram_commands]
