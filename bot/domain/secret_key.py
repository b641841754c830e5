"""The deployment's secret key: ``RELAYBOT_SECRET_KEY``, or one generated once and kept in
the database, where every process of the deployment finds the same one."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from bot.core.config import Settings
from bot.core.errors import RelaybotError
from bot.core.log_redaction import redact_everywhere
from bot.storage.db import Database
from bot.storage.domain.secret_key_records import store_once_and_read

logger = logging.getLogger(__name__)

SETTING_NAME = "secret_key"


class SecretKeyUnresolved(RelaybotError):
    """The secret key is not known yet: it is resolved when the app starts."""


@dataclass(frozen=True)
class SecretKey:
    """The key and where it came from (``source`` may be logged, ``value`` never)."""

    value: str
    source: str

    def __repr__(self) -> str:
        return f"SecretKey(source={self.source!r})"


class SecretKeySlot:
    """Holds the key once start-up has resolved it; parts built earlier read it from here."""

    def __init__(self) -> None:
        self.key: SecretKey | None = None

    def value(self) -> str:
        """The key's value; :class:`SecretKeyUnresolved` before start-up."""
        if self.key is None:
            raise SecretKeyUnresolved
        return self.key.value


async def load_or_create(db: Database) -> tuple[str, bool]:
    """The key stored in the database, generated and stored first if there is none.

    Several processes starting at once agree: the first insert wins, the others' do nothing,
    and everyone reads the row back. True when this call created it.
    """
    candidate = secrets.token_urlsafe(48)
    stored, created = await store_once_and_read(db, SETTING_NAME, candidate)
    if stored is None:
        raise SecretKeyUnresolved("the stored secret key could not be read back")
    return stored, created


async def resolve_secret_key(settings: Settings, db: Database) -> SecretKey:
    """``RELAYBOT_SECRET_KEY`` when set, else the database's; logs the source, not the value."""
    if settings.secret_key is not None:
        key = SecretKey(settings.secret_key.get_secret_value(), "RELAYBOT_SECRET_KEY")
    else:
        value, created = await load_or_create(db)
        redact_everywhere(value)
        where = "generated and stored" if created else "read"
        key = SecretKey(value, f"the database ({where}: instance_settings.{SETTING_NAME})")
    logger.info("secret key: from %s", key.source)
    return key
