"""``relaybot telegram set-webhook``: the channel commands."""

from __future__ import annotations

import argparse

from bot.app.commands import run_async
from bot.core.config import Settings
from bot.core.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    telegram = sub.add_parser("telegram", help="Telegram channel commands")
    commands = telegram.add_subparsers(dest="telegram_command", required=True)
    set_webhook = commands.add_parser(
        "set-webhook",
        help="point Telegram at RELAYBOT_PUBLIC_URL/webhooks/telegram with the webhook secret",
    )
    set_webhook.set_defaults(command=_set_webhook)


def _set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from channels.telegram import ALLOWED_UPDATES, set_webhook

    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")

    async def run() -> int:
        url = await set_webhook(settings)
        print(f"telegram webhook set: {url} (updates: {', '.join(ALLOWED_UPDATES)})")
        return 0

    return run_async(run())
