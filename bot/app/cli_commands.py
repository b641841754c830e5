"""Commands contributed by other parts (workflows, channels)."""

from __future__ import annotations

from bot.app import console_chat, contact_cli, workflow_cli
from bot.app.commands import Registrar
from bot.app.console import cli as console_cli
from channels.cli import register as telegram_commands

REGISTRARS: list[Registrar] = [
    workflow_cli.register,
    console_chat.register,
    telegram_commands,
    console_cli.register,
    contact_cli.register,
]
