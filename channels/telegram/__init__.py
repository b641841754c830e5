"""Telegram: webhook in, python-telegram-bot out."""

from channels.telegram.channel import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel, build_bot
from channels.telegram.registration import ALLOWED_UPDATES, set_webhook, webhook_url

__all__ = [
    "ALLOWED_UPDATES",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "TelegramChannel",
    "build_bot",
    "set_webhook",
    "webhook_url",
]
