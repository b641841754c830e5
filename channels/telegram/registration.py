"""Registering the webhook with Telegram (``relaybot telegram set-webhook``)."""

from __future__ import annotations

import re

import aiohttp
from telegram.error import TelegramError

from bot.core.config import Settings
from bot.core.errors import ConfigError
from channels.telegram.channel import WEBHOOK_PATH, build_bot
from channels.telegram.errors import map_telegram_error

ALLOWED_UPDATES = ("message", "callback_query")
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def webhook_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


async def set_webhook(settings: Settings, session: aiohttp.ClientSession | None = None) -> str:
    """Point Telegram at ``RELAYBOT_PUBLIC_URL`` + ``/webhooks/telegram``; return that URL.

    Registers the secret token Telegram will send in every call and the update
    types relaybot reads. Raises :class:`ConfigError` for unusable settings and a
    delivery error when Telegram refuses.
    """
    if settings.telegram_webhook_secret is None:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET is not set")
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET_SHAPE.fullmatch(secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    url = webhook_url(settings)
    if not url.startswith("https://"):
        raise ConfigError(f"Telegram only calls https webhooks; RELAYBOT_PUBLIC_URL gives {url}")
    owns_session = session is None
    http = session or aiohttp.ClientSession()
    bot = build_bot(settings, http)
    try:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    except TelegramError as exc:
        token = bot.token
        raise map_telegram_error(exc, token) from exc
    finally:
        await bot.shutdown()
        if owns_session:
            await http.close()
    return url
